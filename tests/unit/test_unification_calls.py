"""The unifier's AWS calls on (in-process) moto: at most 300 per 1,000 accounts applied, with one
KMS data key per batch of migrated seeds, not one per seed."""

from __future__ import annotations

from datetime import timedelta

from gatehouse.adapters.kms import KmsKeyVault
from gatehouse.bootstrap import Container, Stores
from gatehouse.settings import Settings

from tests.bench.unification import generate_lines
from tests.support.aws_calls import counter
from tests.support.moto_table import moto_table


def test_applying_a_wave_costs_at_most_300_aws_calls_per_1000_accounts_and_one_data_key_a_batch() -> None:
    with moto_table("unify-calls") as table:
        settings = Settings(aws_endpoint_url=None, table_name="unify-calls")
        vault = KmsKeyVault(settings)
        key = vault._kms.create_key(Description="test")["KeyMetadata"]["KeyId"]
        vault._kms.create_alias(AliasName=settings.kms_key_id, TargetKeyId=key)
        c = Container.in_memory(settings, stores=Stores.dynamodb(table), key_vault=vault)
        assert not c.unification.import_lines(generate_lines(700, "calls")).errors
        c.unification.schedule("w1", c.clock.now() - timedelta(minutes=1))
        c.unification_notifier.run()
        with counter().counting() as calls:
            report = c.unifier.run(batch_size=100)
        assert report.completed == 600 and report.conflicts == []
        assert calls["kms.GenerateDataKey"] <= report.batches  # 150 seeds migrated, one data key a batch
        assert calls["dynamodb.PutItem"] == 0  # no factor put one by one
        assert sum(calls.values()) * 1000 / report.completed <= 300, calls
        account = c.accounts.get_by_email("calls-2@example.com")  # same_email: its Dedibox TOTP kept
        assert account is not None and [m.type for m in account.mfa_methods] == ["totp"]
        (factor,) = c.mfa_store.list(account.id)
        assert c.totp._open(account.id, factor.id, factor.data["seed"]) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
