"""Media on an S3-compatible object store: a real HTTP endpoint (moto's server mode on loopback)."""

from __future__ import annotations

import socket
import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from server.extensions import db
from server.visits.models import Visit
from tests.images import noise_jpeg


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def s3(app, monkeypatch):
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    endpoint = f"http://127.0.0.1:{port}"
    bucket = f"huifang-media-{uuid.uuid4().hex[:8]}"  # moto keeps its buckets for the whole process
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    monkeypatch.setitem(app.config, "HUIFANG_S3_BUCKET", bucket)
    monkeypatch.setitem(app.config, "HUIFANG_S3_ENDPOINT_URL", endpoint)
    app.extensions.pop("huifang_blob_store", None)
    yield client, bucket
    app.extensions.pop("huifang_blob_store", None)
    server.stop()


def test_visit_media_land_in_the_bucket_whole(s3, device, visit_for, assigned_task, app_ctx):
    s3, bucket = s3
    record, media = visit_for(assigned_task, photo=noise_jpeg(side=96))
    device.add(record, media)
    device.sync()
    assert db.session.scalars(select(Visit.state)).one() == "submitted"
    for sha, data in media.items():
        body = s3.get_object(Bucket=bucket, Key=f"media/{sha[:2]}/{sha}")["Body"].read()
        assert body == data
    listed = s3.list_objects_v2(Bucket=bucket)["KeyCount"]
    assert listed == 3  # nothing but the three whole blobs: chunks never touch the bucket


def test_a_corrupt_upload_never_reaches_the_bucket(s3, specialist, client, app_ctx):
    s3, bucket = s3
    auth = {"Authorization": f"Bearer {specialist.tokens['access_token']}"}
    sha = "0" * 64
    answer = client.put(f"/api/v1/sync/media/{sha}?offset=0&total=4", data=b"abcd", headers=auth)
    assert answer.status_code == 422 and answer.json["code"] == "hash_mismatch"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
