"""The S3 boundary: presigned URLs (our SigV4 signer) and real S3 calls (aioboto3)."""
