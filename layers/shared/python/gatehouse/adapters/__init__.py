"""Implementations of the ports: DynamoDB, SES, SNS, KMS on AWS (or moto); in-memory fakes."""
