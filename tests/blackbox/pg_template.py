"""The migrated database the black-box servers on PostgreSQL start from: harness.py's
create_pg_database copies it when CALLSIGHT_TEST_PG_TEMPLATE names it. ctest makes it before
the first postgres suite and drops it after the last (the fixture pg_template in
tests/CMakeLists.txt); the CLI under test migrates it, as it would an empty database.

Usage: pg_template.py make|drop NAME   (on the server CALLSIGHT_TEST_PG_URL names)
"""

import os
import sys

from harness import _psql, database_url, drop_pg_database, run_cli


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "drop"):
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    command, name = sys.argv[1:]
    server = os.environ.get("CALLSIGHT_TEST_PG_URL")
    if not server:
        sys.exit("pg_template.py needs CALLSIGHT_TEST_PG_URL (scripts/pg-test-cluster)")
    url = database_url(server, name)
    # Made anew each run: one an interrupted run left may come from another build.
    drop_pg_database(url)
    if command == "make":
        _psql(server, "CREATE DATABASE " + name)
        print(run_cli(url, "migrate", check=True).stdout, end="")


if __name__ == "__main__":
    main()
