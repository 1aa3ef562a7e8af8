"""Variants made from the real seeds by a few listed edits (stdlib only).

    python3 tests/variants/handmade.py     # (re)writes the files below

Expected values come from the seeds' golden files (tests/golden/), changed only where an edit
changes a value, so they are independent of the extractor.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = HERE.parents[1] / "raw"
GOLDEN = HERE.parent / "golden"

# name: (seed, edits, encoding, place rename (old, new, code) or None, value changes, covers)
VARIANTS = {
    "wi_2023_hyphen_slash_breaks": (
        "wisconsin_2023", [("child-serving professionals in", "child-\nserving professionals in"),
                           ("including 70 survivors/families", "including 70 survivors/\nfamilies"),
                           ("50 survivors/families to", "50 survivors/\r\nfamilies to"),
                           ("(HHS-ORR) :", "(HHS-\nORR) :")],
        "utf-8", None, {},
        "Lines broken right after a hyphen or a slash ('child-\\nserving', 'survivors/\\nfamilies', '(HHS-\\nORR)'), "
        "one of them CRLF.",
    ),
    "il_2023_utf16le_no_bom": (
        "illinois_2023", [], "utf-16-le", None, {},
        "The Illinois seed in UTF-16 little-endian without a byte-order mark.",
    ),
    "wi_2023_utf16be_no_bom": (
        "wisconsin_2023", [], "utf-16-be", None, {},
        "The Wisconsin seed in UTF-16 big-endian without a byte-order mark.",
    ),
    "wi_2023_reworded": (
        "wisconsin_2023", [("child sexual exploitation material", "child sexual abuse material"),
                           ("NCMEC CONNECT had", "NCMEC CONNECT has"),
                           ("reports relating to child sex trafficking", "reports of possible child sex trafficking"),
                           ("agencies on 28,886", "agencies with 28,886"),
                           ("NCMEC handled 204 cases of missing children", "NCMEC handled 204 missing child cases")],
        "utf-8", None, {},
        "Other years' wordings: 'child sexual abuse material', 'CONNECT has', 'reports of possible child sex "
        "trafficking', 'with 28,886 missing child cases', 'handled 204 missing child cases'.",
    ),
    "mt_2023_one_missing_child": (
        "wisconsin_2023", [("NCMEC handled 204 cases of missing children from Wisconsin",
                            "NCMEC handled 1 case of a missing child from Wisconsin"),
                           ("Children Missing From Social Services\t137\n", ""),
                           ("Other Missing Children Cases\t62\n", "Other Missing Children Cases\t1\n"),
                           ("Children Reported Missing by Office of Refugee Resettlement (HHS-ORR) :\t5\n", "")],
        "cp1252", ("Wisconsin", "Montana", "MT"),
        {"missing_child_cases": 1, "missing_other": 1, "missing_from_social_services": None,
         "missing_reported_by_hhs_orr": None},
        "Montana, cp1252, 'handled 1 case of a missing child', a one-row breakdown table.",
    ),
}


def build() -> dict[str, tuple[bytes, dict]]:
    files = {}
    for name, (seed, edits, encoding, rename, changes, covers) in VARIANTS.items():
        text = (RAW / f"{seed}.txt").read_text("utf-8")
        for old, new in edits:
            assert old in text, (name, old)
            text = text.replace(old, new)
        golden = json.loads((GOLDEN / f"{seed}.json").read_text("utf-8"))
        geo = golden["geo"]
        if rename:
            text = text.replace(rename[0], rename[1])
            geo = rename[2]
        observations = []
        for o in golden["observations"]:
            state = o["geo"] != "US"
            value = changes.get(o["metric"], o["value"]) if state else o["value"]
            if value is None:
                continue
            observations.append({"geo": geo if state else "US", "year": golden["year"], "metric": o["metric"],
                                 "value": value, "qualifier": o["qualifier"]})
        expected = {"covers": covers, "document": {"geo": geo, "year": golden["year"], "rejected_check": None},
                    "observations": observations, "rejections": []}
        files[name] = (text.encode(encoding), expected)
    return files


def main() -> None:
    for name, (data, expected) in build().items():
        (HERE / f"{name}.txt").write_bytes(data)
        (HERE / f"{name}.expected.json").write_text(json.dumps(expected, indent=2) + "\n", "utf-8")
        print("wrote", name)


if __name__ == "__main__":
    main()
