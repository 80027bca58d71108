"""What ``fleetops opendata ngsi-ld-push`` tells a newcomer whose queue is ``fleetops run``'s
embedded Redis (no ``REDIS_URL``): the URL to set, read from the port file that Redis keeps."""

from __future__ import annotations

from cli.opendata import no_redis_message


def test_the_embedded_redis_url_is_named_when_its_port_is_known(tmp_path):
    (tmp_path / "redis").mkdir()
    (tmp_path / "redis" / "port").write_text("38431\n")
    msg = no_redis_message(tmp_path)
    assert "REDIS_URL=redis://127.0.0.1:38431/0" in msg
    assert "FLEETOPS_NGSI_BROKER_URL" in msg


def test_without_an_embedded_redis_the_message_asks_for_redis_url(tmp_path):
    msg = no_redis_message(tmp_path)
    assert msg.startswith("REDIS_URL is unset") and "127.0.0.1" not in msg
