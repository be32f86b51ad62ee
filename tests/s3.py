"""A local S3-compatible server for the document storage tests: moto in server mode, on a free
port of 127.0.0.1, one per test session; each test gets a bucket of its own and the
``documents`` storage pointed at it, with ``MEDIA_ROOT`` an empty folder nothing may write to."""

import itertools
import socket

import boto3
import pytest
from botocore.config import Config

REGION = "eu-west-2"
KEY_ID, SECRET = "testing-key", "testing-secret"  # moto accepts any credentials
_buckets = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """The server's URL, started once for the session and stopped at its end."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(s3={"addressing_style": "path"}),
    )


def s3_storage_settings(*, endpoint: str, bucket: str) -> dict:
    """``STORAGES["documents"]`` as ``config.settings.documents_storage`` builds it for S3."""
    from config.settings import documents_storage

    return documents_storage(
        {
            "DOCUMENTS_STORAGE": "s3",
            "DOCUMENTS_S3_BUCKET": bucket,
            "DOCUMENTS_S3_ENDPOINT_URL": endpoint,
            "DOCUMENTS_S3_REGION": REGION,
            "DOCUMENTS_S3_ACCESS_KEY_ID": KEY_ID,
            "DOCUMENTS_S3_SECRET_ACCESS_KEY": SECRET,
            "DOCUMENTS_S3_ADDRESSING_STYLE": "path",
        }
    )


@pytest.fixture
def s3_documents(settings, s3_endpoint, tmp_path):
    """The ``documents`` storage in a fresh private bucket; ``MEDIA_ROOT`` an empty folder.
    Gives the bucket's name, a boto3 client and the media folder, to look at what was stored."""
    bucket = f"documents-{next(_buckets)}"
    client = s3_client(s3_endpoint)
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": s3_storage_settings(endpoint=s3_endpoint, bucket=bucket),
    }
    settings.MEDIA_ROOT = tmp_path / "unused-media"
    return {"bucket": bucket, "client": client, "media_root": settings.MEDIA_ROOT}


def bucket_keys(s3_documents: dict) -> list[str]:
    listing = s3_documents["client"].list_objects_v2(Bucket=s3_documents["bucket"])
    return sorted(item["Key"] for item in listing.get("Contents", []))
