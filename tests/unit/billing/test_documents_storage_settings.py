"""The ``documents`` storage read from the environment: the file system by default, a private
S3 bucket that never overwrites when asked, and a clear error for anything else."""

import pytest

from config.settings import documents_storage


def test_the_default_is_the_file_system_under_media_root():
    assert documents_storage({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_s3_takes_its_bucket_endpoint_region_and_keys_from_the_environment():
    config = documents_storage(
        {
            "DOCUMENTS_STORAGE": "s3",
            "DOCUMENTS_S3_BUCKET": "acme-documents",
            "DOCUMENTS_S3_ENDPOINT_URL": "https://objects.example.net",
            "DOCUMENTS_S3_REGION": "eu-west-2",
            "DOCUMENTS_S3_ACCESS_KEY_ID": "id",
            "DOCUMENTS_S3_SECRET_ACCESS_KEY": "secret",
        }
    )
    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    options = config["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"], options["region_name"]) == (
        "acme-documents",
        "https://objects.example.net",
        "eu-west-2",
    )
    assert (options["access_key"], options["secret_key"]) == ("id", "secret")
    # private objects, signed short-lived URLs only, a name never reused for other content
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["querystring_expire"] == 300 and options["file_overwrite"] is False


def test_empty_keys_leave_boto3_to_find_credentials_itself():
    options = documents_storage({"DOCUMENTS_STORAGE": "s3", "DOCUMENTS_S3_BUCKET": "b"})["OPTIONS"]
    assert options["access_key"] is None and options["secret_key"] is None and options["endpoint_url"] is None


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        # S3 with no bucket to put anything in
        ({"DOCUMENTS_STORAGE": "s3"}, "needs DOCUMENTS_S3_BUCKET"),
        # a kind that does not exist
        ({"DOCUMENTS_STORAGE": "ftp"}, "use filesystem or s3"),
    ],
)
def test_a_storage_that_cannot_work_is_refused_at_start_up(environ, message):
    with pytest.raises(ValueError, match=message):
        documents_storage(environ)
