"""``fleetops seed-demo`` on a database that holds a fleet already says so in one line
(it ended in an IntegrityError traceback, found by an attack on issue 12)."""

from __future__ import annotations

from click.testing import CliRunner

from cli.main import cli


def test_seeding_twice_says_the_database_holds_a_fleet(tmp_path, cache_dir):
    env = {
        "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
        "FLEETOPS_CACHE_DIR": str(cache_dir),
        "FLEETOPS_CITY": "synthetic",
        "DATABASE_URL": None,
        "REDIS_URL": None,
        "FLEETOPS_CONFIG": None,
    }
    args = ["seed-demo", "--vehicles", "20"]
    first = CliRunner().invoke(cli, args, env=env)
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(cli, args, env=env)
    assert again.exit_code == 1
    assert "already holds a fleet" in again.stderr and "Traceback" not in again.output
