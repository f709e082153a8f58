"""scripts/check-layers itself: it rejects every wrong include committed in wrong_arrows/,
naming file, line and arrow, and refuses a layer table it cannot read."""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CHECK = os.path.join(REPO, "scripts", "check-layers")
PROBES = os.path.join(HERE, "wrong_arrows", "src")
TABLE = os.path.join(REPO, "docs", "architecture.md")


def run_check(*args):
    return subprocess.run([sys.executable, CHECK, "--quiet", *args], capture_output=True,
                          text=True, timeout=60)


class WrongArrowsTest(unittest.TestCase):
    def test_every_wrong_include_is_rejected_by_file_line_and_arrow(self):
        result = run_check("--src", PROBES)
        self.assertEqual(result.returncode, 1, result.stderr)
        reported = [line.replace(PROBES + os.sep, "") for line in result.stdout.splitlines()]
        self.assertEqual(reported, [
            "api/probe_api_includes_sql_store.cpp:4: api may not include store/sql "
            "(store/sql/sql_store.hpp)",
            "api/probe_api_includes_sql_store.cpp:6: api may not include store/sql "
            "(../store/sql/sql_store.hpp)",
            "api/probe_api_includes_sql_store.cpp:7: store/sql/sql_store.hpp is included again "
            "(first on line 4)",
            "api/probe_api_includes_sql_store.cpp:7: api may not include store/sql "
            "(store/sql/sql_store.hpp)",
            "common/probe_common_includes_core.cpp:2: common may not include core "
            "(core/clock.hpp)",
            "core/probe_core_includes_store.cpp:2: core may not include store (store/store.hpp)",
            # Line 3, <openssl/ssl.h>, is http's by a more specific row than `openssl`.
            "http/probe_http_includes_openssl_crypto.cpp:2: http may not include "
            "<openssl/hmac.h> (only common)",
            "switch/probe_switch_includes_beast.cpp:3: switch may not include <sqlite3.h> "
            "(only store/sqlite)",
            "switch/probe_switch_includes_beast.cpp:5: switch may not include "
            "<boost/beast/http.hpp> (only http, mail)",
            "unlayered/probe_folder_not_in_table.hpp:1: folder of "
            "unlayered/probe_folder_not_in_table.hpp is not a layer in the layer table",
        ])

    def test_an_include_of_a_missing_project_header_is_rejected(self):
        with tempfile.TemporaryDirectory() as src:
            os.mkdir(os.path.join(src, "core"))
            with open(os.path.join(src, "core", "a.cpp"), "w") as source:
                source.write('#include <vector>\n#include "core/gone.hpp"\n')
            result = run_check("--src", src)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn('a.cpp:2: "core/gone.hpp" is not a file under', result.stdout)

    def test_a_header_included_twice_by_one_file_is_rejected(self):
        with tempfile.TemporaryDirectory() as src:
            os.mkdir(os.path.join(src, "core"))
            for name in ("text.hpp", "b.cpp"):
                open(os.path.join(src, "core", name), "w").close()
            with open(os.path.join(src, "core", "a.cpp"), "w") as source:
                source.write('#include "core/text.hpp"\nint x;\n#include <vector>\n'
                             '#include "core/b.cpp"\n#include "core/text.hpp"\n')
            result = run_check("--src", src)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual([line.replace(src + os.sep, "") for line in result.stdout.splitlines()],
                         ["core/a.cpp:5: core/text.hpp is included again (first on line 1)"])

    def test_the_arrows_come_from_the_table_in_docs(self):
        with tempfile.TemporaryDirectory() as folder:
            table = os.path.join(folder, "architecture.md")
            with open(TABLE, encoding="utf-8") as original, open(table, "w") as copy:
                copy.write(original.read().replace("| `core` | `common` |",
                                                   "| `core` | `common`, `store` |"))
            core_may_use_store = run_check("--src", PROBES, "--table", table)
        self.assertEqual(core_may_use_store.returncode, 1)
        self.assertNotIn("core may not include store", core_may_use_store.stdout)
        self.assertIn("api may not include store/sql", core_may_use_store.stdout)

    def test_a_table_without_its_markers_is_an_error_not_a_pass(self):
        with tempfile.NamedTemporaryFile("w", suffix=".md") as table:
            table.write("| folder | may include |\n| --- | --- |\n| `core` | — |\n")
            table.flush()
            result = run_check("--src", PROBES, "--table", table.name)
        self.assertEqual(result.returncode, 2)
        self.assertIn("layer-table:begin", result.stderr)

    def test_a_table_naming_an_unknown_layer_is_an_error(self):
        with tempfile.TemporaryDirectory() as folder:
            table = os.path.join(folder, "architecture.md")
            with open(TABLE, encoding="utf-8") as original, open(table, "w") as copy:
                copy.write(original.read().replace("| `http` | `common`, `core` |",
                                                   "| `http` | `common`, `core`, `nowhere` |"))
            result = run_check("--src", PROBES, "--table", table)
        self.assertEqual(result.returncode, 2)
        self.assertIn("nowhere", result.stderr)


if __name__ == "__main__":
    unittest.main()
