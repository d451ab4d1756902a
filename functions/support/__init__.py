"""Recovery requests with identity documents, and support's decisions on them."""
