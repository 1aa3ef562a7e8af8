#!/usr/bin/env python3
"""Renders the variant fact sheets in this folder and their expected values.

The .txt files and .expected.json files beside this script are committed test
inputs; this script documents how they were made and can re-make them:

    python3 tests/variants/render.py          # rewrites every variant + README.md
    python3 tests/variants/render.py --check  # writes nothing; checks the files on disk

Stdlib only. The template is the Wisconsin 2023 sheet (shared/seeds/000_...)
word for word; only the place, the year, the numbers and the cosmetics change.
Files a template cannot express (binary, unrelated text, edited sentences) are
made in build() from explicit bytes or explicit string edits, so they are
documented here too.
"""
from __future__ import annotations

import gzip
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------
# places: USPS code -> (name as the title and adjectives use it, article used
# in "in ..."/"from ..." phrases)
PLACES = {
    "AS": ("American Samoa", ""),
    "CA": ("California", ""),
    "CO": ("Colorado", ""),
    "DC": ("District of Columbia", "the "),
    "FL": ("Florida", ""),
    "GA": ("Georgia", ""),
    "GU": ("Guam", ""),
    "HI": ("Hawaii", ""),
    "IA": ("Iowa", ""),
    "IL": ("Illinois", ""),
    "KY": ("Kentucky", ""),
    "MD": ("Maryland", ""),
    "ME": ("Maine", ""),
    "MN": ("Minnesota", ""),
    "MP": ("Northern Mariana Islands", "the "),
    "MT": ("Montana", ""),
    "NC": ("North Carolina", ""),
    "NH": ("New Hampshire", ""),
    "NJ": ("New Jersey", ""),
    "NM": ("New Mexico", ""),
    "NV": ("Nevada", ""),
    "NY": ("New York", ""),
    "OH": ("Ohio", ""),
    "OR": ("Oregon", ""),
    "PR": ("Puerto Rico", ""),
    "RI": ("Rhode Island", ""),
    "TX": ("Texas", ""),
    "UT": ("Utah", ""),
    "VI": ("U.S. Virgin Islands", "the "),
    "VT": ("Vermont", ""),
    "WA": ("Washington", ""),
    "WI": ("Wisconsin", ""),
    "WV": ("West Virginia", ""),
}
ARTICLE_BY_NAME = {name: art for name, art in PLACES.values()}

# --------------------------------------------------------------------------
# national figures, one wording per year (every sheet of a year repeats the
# same sentences). 2023 is the seeds' wording; 2021/2022 follow the brief;
# 2024 is made up but plausible. CVIP is cumulative, so it rises every year.
NATIONAL = {
    2021: {
        "ctl": "the CyberTipline received 29.3 million reports related to child sexual exploitation, containing "
               "nearly 85 million images, videos and other files.",
        "cvip": "21,200",
        "mc": "27,204", "ss": "20,736", "pct": "17",
        "cst": "more than 16,900",
        "hope": "4,912",
        "connect": "more than 12,000",
        "obs": [
            ("cybertipline_reports_received", 29300000, "approximate"),
            ("cybertipline_content_pieces", 85000000, "at_most"),
            ("cvip_children_identified_cumulative", 21200, "exact"),
            ("missing_child_cases", 27204, "exact"),
            ("missing_from_social_services", 20736, "exact"),
            ("cst_likely_victim_share_pct", 17, "exact"),
            ("cst_reports_received", 16900, "at_least"),
            ("team_hope_families_supported", 4912, "exact"),
            ("connect_registered_users", 12000, "at_least"),
        ],
    },
    2022: {
        "ctl": "the CyberTipline received more than 32 million reports related to child sexual exploitation, "
               "containing nearly 88.3 million images, videos and other files.",
        "cvip": "more than 25,400",
        "mc": "27,816", "ss": "21,547", "pct": "18",
        "cst": "more than 17,200",
        "hope": "5,212",
        "connect": "more than 15,000",
        "obs": [
            ("cybertipline_reports_received", 32000000, "at_least"),
            ("cybertipline_content_pieces", 88300000, "at_most"),
            ("cvip_children_identified_cumulative", 25400, "at_least"),
            ("missing_child_cases", 27816, "exact"),
            ("missing_from_social_services", 21547, "exact"),
            ("cst_likely_victim_share_pct", 18, "exact"),
            ("cst_reports_received", 17200, "at_least"),
            ("team_hope_families_supported", 5212, "exact"),
            ("connect_registered_users", 15000, "at_least"),
        ],
    },
    2023: {
        "ctl": "the CyberTipline received 36.2 million reports related to child sexual exploitation, containing more "
               "than 105 million pieces of reported content.",
        "cvip": "27,130",
        "mc": "28,886", "ss": "22,442", "pct": "19",
        "cst": "more than 18,400",
        "hope": "5,759",
        "connect": "more than 18,000",
        "obs": [
            ("cybertipline_reports_received", 36200000, "approximate"),
            ("cybertipline_content_pieces", 105000000, "at_least"),
            ("cvip_children_identified_cumulative", 27130, "exact"),
            ("missing_child_cases", 28886, "exact"),
            ("missing_from_social_services", 22442, "exact"),
            ("cst_likely_victim_share_pct", 19, "exact"),
            ("cst_reports_received", 18400, "at_least"),
            ("team_hope_families_supported", 5759, "exact"),
            ("connect_registered_users", 18000, "at_least"),
        ],
    },
    2024: {
        "ctl": "the CyberTipline received 20.5 million reports related to child sexual exploitation, containing "
               "almost 63 million images, videos and other files.",
        "cvip": "28,900",
        "mc": "29,568", "ss": "23,015", "pct": "20",
        "cst": "at least 19,800",
        "hope": "6,104",
        "connect": "over 21,000",
        "obs": [
            ("cybertipline_reports_received", 20500000, "approximate"),
            ("cybertipline_content_pieces", 63000000, "at_most"),
            ("cvip_children_identified_cumulative", 28900, "exact"),
            ("missing_child_cases", 29568, "exact"),
            ("missing_from_social_services", 23015, "exact"),
            ("cst_likely_victim_share_pct", 20, "exact"),
            ("cst_reports_received", 19800, "at_least"),
            ("team_hope_families_supported", 6104, "exact"),
            ("connect_registered_users", 21000, "at_least"),
        ],
    },
}

STATE_METRICS = [
    "cybertipline_reports_to_law_enforcement",
    "cvip_submissions_reviewed",
    "missing_child_cases",
    "missing_from_social_services",
    "missing_other",
    "missing_reported_by_hhs_orr",
    "cst_social_service_engagements",
    "team_hope_families_supported",
    "faon_mental_health_connections",
    "team_adam_cases_assisted",
    "connect_new_professionals",
]
TABLE_METRICS = ["missing_from_social_services", "missing_other", "missing_reported_by_hhs_orr"]
BOTH_SCOPES = ["missing_child_cases", "missing_from_social_services", "team_hope_families_supported"]

# --------------------------------------------------------------------------
# template. Markers, resolved by the bold mode:
#   ⟦ ⟧  where the seeds put ** around a (part of a) state sentence
#   ⟪    start of a bold span that swallows the next sentence(s) (mode "span")
#   ⟨ ⟩  a state number            ⟮ ⟯  the place name in a state sentence
#   ⟂    the page break the seeds have between "running" and "behavior"
SB, SE, SPAN, NB, NE, PB, PE, PAGE = "⟦", "⟧", "⟪", "⟨", "⟩", "⟮", "⟯", "⟂"

INTRO = (
    "The National Center for Missing and Exploited Children (NCMEC) serves as the congressionally "
    "designated clearinghouse and resource center on issues relating to missing and exploited children. "
    "NCMEC supports families, law enforcement, child welfare, and members of the public to help find "
    "missing children, combat child sexual exploitation, and reduce child victimization."
)
LABEL_SS = "Children Missing From Social Services"
LABEL_OTHER = "Other Missing Children Cases"
LABEL_HHS = "Children Reported Missing by Office of Refugee Resettlement (HHS-ORR)"


def _num(n: int, sep: bool) -> str:
    return f"{n:,}" if sep else str(n)


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def render(
    place_name: str,
    year: int,
    values: dict,
    *,
    article: str | None = None,
    bold: str = "sentence",          # sentence | none | number | place | span
    title_bold: str | None = None,   # full | none | place (default follows bold)
    illinois_wording: bool = False,  # the Illinois seed's small differences
    thousands_sep: bool = True,
    table_sep: str = "\t",           # "\t", " : ", ": ", "pad" (spaces to a column), or any literal
    ss_facility: bool = False,       # "Children Missing From Social Services Facility"
    hhs_colon: bool = True,          # "... (HHS-ORR) :" as in the seeds
    page_break: str = "\n\n",        # what replaces the seeds' running/behavior break
    team_adam_paragraph_when_absent: bool = True,
    leading_blank_lines: int = 4,
    trailing_newline: bool = False,
    wrap: int | None = None,         # hard-wrap prose at this column
    forced_breaks: tuple = (),       # (before, after): "before after" -> "before\nafter"
    extra_page_breaks: tuple = (),   # (before, after): "before after" -> "before\n\nafter"
    trailing_spaces: bool = False,   # wrapped lines keep a trailing space
    nbsp: tuple = (),                # (before, after): "before after" -> "before\u00a0after"
    curly: bool = False,             # ' -> ’
    newline: str = "\n",
) -> str:
    """Returns the sheet as text (str). Encoding is the caller's business."""
    nat = NATIONAL[year]
    art = ARTICLE_BY_NAME.get(place_name, "") if article is None else article
    v = {k: values.get(k) for k in STATE_METRICS}
    y = year

    def n(key: str) -> str:
        return NB + _num(v[key], thousands_sep) + NE

    loc = art + PB + place_name + PE        # "in the District of Columbia"
    adj = PB + place_name + PE              # "from District of Columbia law enforcement"

    paras: list[str] = []
    # title
    tb = title_bold or {"none": "none", "place": "place"}.get(bold, "full")
    if illinois_wording and title_bold is None:
        tb = "none"
    title_place = {"full": f"**{place_name} Data**", "none": f"{place_name} Data",
                   "place": f"**{place_name}** Data"}[tb]
    paras.append("The National Center for Missing and Exploited Children " + title_place)
    paras.append(INTRO)
    all_of = "all of " if illinois_wording else ""
    paras.append(
        f"Listed below are {place_name} specific statistics relating to NCMEC's work. "
        f"For nationwide information on {all_of}NCMEC's programs, please visit: missingkids.org/ourwork/impact."
    )
    paras.append("NCMEC's Work to Combat Child Sexual Exploitation")

    p = ("NCMEC operates the CyberTipline, the national mechanism for members of the public and online "
         "platforms to report suspected child sexual exploitation. ")
    ctl = v["cybertipline_reports_to_law_enforcement"]
    if ctl is not None:
        p += SPAN
    p += f"In {y}, {nat['ctl']}"
    if ctl is not None:
        p += (f" {SB}In {y}, {n('cybertipline_reports_to_law_enforcement')} CyberTipline "
              f"{_plural(ctl, 'report was', 'reports were')} made available to law enforcement in {loc}.{SE}")
    paras.append(p)

    p = ("NCMEC also operates the Child Victim Identification Program (CVIP) that helps identify children "
         "depicted in imagery seized by law enforcement during investigations. ")
    cv = v["cvip_submissions_reviewed"]
    if cv is not None:
        p += SPAN
    p += f"NCMEC has supported law enforcement's identification of {nat['cvip']} children."
    if cv is not None:
        p += (f" {SB}In {y}, NCMEC reviewed {n('cvip_submissions_reviewed')} "
              f"{_plural(cv, 'submission', 'submissions')} of child sexual exploitation material from "
              f"{adj} law enforcement.{SE}")
    paras.append(p)

    paras.append("NCMEC's Work to Help Locate and Recover Missing Children")
    paras.append(
        f"In {y}, NCMEC assisted law enforcement, families, and social service agencies on {nat['mc']} "
        f"missing child cases, {nat['ss']} of which involved children who had run away from a social "
        "services facility. These children are uniquely vulnerable to homelessness, gang involvement, "
        f"and sex trafficking. Based on NCMEC's analysis, {nat['pct']}% of these children were likely "
        "victims of child sex trafficking."
    )
    mc = v["missing_child_cases"]
    if mc is not None:
        paras.append(f"In {y}, NCMEC handled {n('missing_child_cases')} "
                     f"{_plural(mc, 'case', 'cases')} of missing children from {loc} as follows:")
        rows = []
        for key, label in ((
                "missing_from_social_services", LABEL_SS + (" Facility" if ss_facility else "")),
                ("missing_other", LABEL_OTHER),
                ("missing_reported_by_hhs_orr", LABEL_HHS + (" :" if hhs_colon else ""))):
            if v[key] is None:
                continue
            num = _num(v[key], thousands_sep)
            if table_sep == "pad":
                rows.append(label + " " * max(2, 80 - len(label)) + num)
            else:
                rows.append(label + table_sep + num)
        paras.append("\n".join(rows))

    paras.append("NCMEC's Work to Combat Child Sex Trafficking")
    p = (f"In {y}, NCMEC received {nat['cst']} reports relating to child sex trafficking. NCMEC leverages "
         "open-source data and technology tools to support law enforcement's work on reports of child sex "
         "trafficking. NCMEC also provides recovery services to assist on child sex trafficking cases, "
         "including: (1) case-based assistance to develop trauma-informed, victim-centered recovery plans; "
         "(2) resources and support to develop effective strategies for youth engagement, trauma responses, "
         f"and to address running{PAGE}behavior; and (3) developing multidisciplinary efforts to prevent "
         "re-victimization.")
    cst = v["cst_social_service_engagements"]
    if cst is not None:
        p += (f" {SB}In {y}, NCMEC had {n('cst_social_service_engagements')} "
              f"{_plural(cst, 'engagement', 'engagements')} with {adj} social service agencies on cases "
              f"involving child sex trafficking.{SE}")
    paras.append(p)

    paras.append("NCMEC's Work to Support Survivors/Families Impacted by a Missing or Exploited Child Case")
    p = ("NCMEC's Team HOPE is a peer support network of individuals who were missing or exploited as "
         "children or have experienced having a missing or exploited child. "
         f"In {y}, Team HOPE supported {nat['hope']} survivors and families with peer support")
    hope = v["team_hope_families_supported"]
    if hope is not None:
        p += (f", {SPAN}{SB}including {n('team_hope_families_supported')} "
              f"{_plural(hope, 'survivor/family', 'survivors/families')} in {loc}.{SE}")
    else:
        p += "."
    p += (" NCMEC also facilitates the Family Advocacy Outreach Network, a network of experienced mental "
          "health professionals who provide free or low-cost therapeutic services to survivors/families.")
    faon = v["faon_mental_health_connections"]
    if faon is not None:
        p += (f" {SB}In {y}, NCMEC connected {n('faon_mental_health_connections')} "
              f"{_plural(faon, 'survivor/family', 'survivors/families')} to mental health services in {loc}.{SE}")
    paras.append(p)

    adam = v["team_adam_cases_assisted"]
    if adam is not None or team_adam_paragraph_when_absent:
        p = ("NCMEC's Team Adam program deploys former law enforcement consultants with specialized knowledge "
             "of cases involving abducted or missing children to the site of critical missing child incidents.")
        if adam is not None:
            p += (f" {SB}In {y}, Team Adam provided Team Adam critical case assistance on "
                  f"{n('team_adam_cases_assisted')} {_plural(adam, 'case', 'cases')} in {loc}.{SE}")
        paras.append(p)

    paras.append("NCMEC's Education Resources for Law Enforcement and Child-Serving Professionals")
    p = ("NCMEC is committed to providing educational opportunities and resources to law enforcement and "
         "child-serving professionals through in-person education sessions across the country and online "
         f"through NCMEC CONNECT. In {y}, NCMEC CONNECT had {nat['connect']} registered users")
    con = v["connect_new_professionals"]
    if con is not None:
        prof = _plural(con, "professional", "professionals")
        if illinois_wording:
            p += (f", including {SB}{n('connect_new_professionals')} new law enforcement and child-serving "
                  f"{prof}{SE} in {loc}.")
        else:
            p += (f", including {SB}{n('connect_new_professionals')} new law enforcement and child-serving "
                  f"{prof} in {loc}.{SE}")
    else:
        p += "."
    paras.append(p)

    # ---- resolve bold markers
    out = []
    for para in paras:
        if bold == "span" and SPAN in para and SB in para.split(SPAN, 1)[1]:
            head, tail = para.split(SPAN, 1)
            last = tail.rfind(SE)
            tail = tail[:last].replace(SB, "").replace(SE, "") + "**" + tail[last + 1:]
            para = head + "**" + tail
        para = para.replace(SPAN, "")
        if bold in ("sentence", "span"):
            para = para.replace(SB, "**").replace(SE, "**")
        else:
            para = para.replace(SB, "").replace(SE, "")
        if bold == "number":
            para = para.replace(NB, "**").replace(NE, "**")
        else:
            para = para.replace(NB, "").replace(NE, "")
        if bold == "place":
            para = para.replace(PB, "**").replace(PE, "**")
        else:
            para = para.replace(PB, "").replace(PE, "")
        out.append(para)

    text = "\n\n".join(out)
    for before, after in extra_page_breaks:
        assert before + " " + after in text, (before, after)
        text = text.replace(before + " " + after, before + PAGE + after, 1)
    for before, after in forced_breaks:
        assert before + " " + after in text, (before, after)
        text = text.replace(before + " " + after, before + "\n" + after, 1)
    if wrap:
        text = _wrap(text, wrap, trailing_spaces)
    text = text.replace(PAGE, page_break)
    for before, after in nbsp:
        assert before + " " + after in text, (before, after)
        text = text.replace(before + " " + after, before + "\u00a0" + after, 1)
    if curly:
        text = text.replace("'", "\u2019")
    text = "\n" * leading_blank_lines + text + ("\n" if trailing_newline else "")
    if newline != "\n":
        text = text.replace("\n", newline)
    return text


def _wrap(text: str, width: int, trailing_spaces: bool) -> str:
    """Greedy hard wrap of prose lines, like a PDF text export does.

    The title and the table rows are left alone (they are laid out, not flowed);
    the page-break marker counts as a line end.
    """
    out = []
    for line in text.split("\n"):
        if line.startswith("The National Center for Missing and Exploited Children ") and "Data" in line \
                or line.startswith((LABEL_SS, LABEL_OTHER, LABEL_HHS)):
            out.append(line)
            continue
        pieces = line.split(PAGE)
        wrapped_pieces = []
        for piece in pieces:
            words = piece.split(" ")
            cur = ""
            lines = []
            for w in words:
                if cur and len(cur) + 1 + len(w) > width:
                    lines.append(cur + (" " if trailing_spaces else ""))
                    cur = w
                else:
                    cur = w if not cur else cur + " " + w
            lines.append(cur)
            wrapped_pieces.append("\n".join(lines))
        out.append(PAGE.join(wrapped_pieces))
    return "\n".join(out)


# --------------------------------------------------------------------------
# expected values

def observations(geo: str, year: int, values: dict) -> list[dict]:
    obs = [{"geo": "US", "year": year, "metric": m, "value": val, "qualifier": q}
           for m, val, q in NATIONAL[year]["obs"]]
    for m in STATE_METRICS:
        if values.get(m) is not None:
            obs.append({"geo": geo, "year": year, "metric": m, "value": values[m], "qualifier": "exact"})
    return obs


def clean_rejections(geo: str, year: int, values: dict) -> list[dict]:
    """What validation of this file alone must reject (the four in-document checks
    that depend only on numbers; place/year edits are added by hand in main())."""
    rej = []
    if values.get("missing_child_cases") is not None:
        parts = [values[k] for k in TABLE_METRICS if values.get(k) is not None]
        if sum(parts) != values["missing_child_cases"]:
            for m in ["missing_child_cases"] + TABLE_METRICS:
                rej.append({"metric": m, "check": "breakdown_sums", "geo": geo, "year": year})
    nat = {m: val for m, val, _ in NATIONAL[year]["obs"]}
    for m in BOTH_SCOPES:
        if values.get(m) is not None and values[m] > nat[m]:
            rej.append({"metric": m, "check": "state_within_national", "geo": geo, "year": year})
    return rej


# --------------------------------------------------------------------------
# the corpus

def V(ctl, cvip, mc, ss, other, hhs, cst, hope, faon, adam, connect) -> dict:
    return dict(zip(STATE_METRICS, (ctl, cvip, mc, ss, other, hhs, cst, hope, faon, adam, connect), strict=True))


# Wisconsin 2023 = the seed's numbers (used by the Minnesota-sentence file, so
# that a run over seeds + variants sees no cross-document conflict for WI 2023)
WI_2023_SEED = V(8468, 155, 204, 137, 62, 5, 19, 70, 50, 1, 102)

# name, geo, year, values, render kwargs, encoding, covers
SHEETS = [
    ("nh_2022_wrap72", "NH", 2022, V(1873, 64, 187, 121, 61, 5, 11, 23, 17, 2, 58),
     dict(wrap=72, forced_breaks=(("1,873", "CyberTipline"),)), "utf-8",
     "New Hampshire 2022 (multi-word place, 2022 national wording) hard-wrapped at 72 columns: breaks inside bold "
     "spans, between '1,873' and 'CyberTipline', and inside 'In 2022,'-style phrases."),
    ("nc_2021_crlf", "NC", 2021, V(11402, 212, 1106, 870, 219, 17, 41, 88, 61, 4, 231),
     dict(newline="\r\n"), "utf-8",
     "North Carolina 2021 with CRLF line endings and the 2021 national wording (29.3 million; nearly 85 million "
     "files)."),
    ("ny_2024_utf8_bom", "NY", 2024, V(27315, 301, 2214, 1688, 431, 95, 97, 176, 142, 6, 402),
     dict(), "utf-8-sig",
     "New York 2024, UTF-8 with a byte-order mark, made-up 2024 national figures ('almost 63 million', 'at least "
     "19,800', 'over 21,000')."),
    ("wv_2023_no_bold_no_team_adam", "WV", 2023, V(2944, 48, 256, 201, 52, 3, 9, 31, 22, None, 77),
     dict(bold="none"), "utf-8",
     "West Virginia 2023 with no ** bold markers anywhere and no Team Adam sentence (program paragraph kept)."),
    ("ri_2022_bold_number_colon_table", "RI", 2022, V(1208, 27, 74, 58, 14, 2, 5, 12, 9, 1, 39),
     dict(bold="number", table_sep=" : ", hhs_colon=False), "utf-8",
     "Rhode Island 2022 with bold on the numbers only ('**1,208** CyberTipline reports'), table rows 'Label : N', "
     "HHS-ORR label without its own ' :'."),
    ("dc_2023", "DC", 2023, V(1517, 19, 336, 297, 36, 3, 14, 20, 16, 1, 45),
     dict(), "utf-8",
     "District of Columbia 2023: title 'District of Columbia Data', sentences 'in the District of Columbia' / 'from "
     "District of Columbia law enforcement'."),
    ("dc_2021_bold_place_wrap80", "DC", 2021, V(1140, 12, 301, 266, 35, None, 10, 15, 11, 2, 33),
     dict(bold="place", wrap=80), "utf-8",
     "District of Columbia 2021 with bold around the place name only ('in the **District of Columbia**'), wrapped at "
     "80 columns, no HHS-ORR row."),
    ("pr_2022_latin1", "PR", 2022, V(3086, 22, 118, 64, 50, 4, 6, 14, 8, None, 51),
     dict(nbsp=(("3,086", "CyberTipline"), ("In", "2022, NCMEC handled"), ("51", "new"))), "latin-1",
     "Puerto Rico 2022 encoded latin-1 with non-breaking spaces (0xA0) inside figure sentences; no Team Adam "
     "sentence."),
    ("pr_2024_crlf_padded_table", "PR", 2024, V(2712, 31, 97, 55, 40, 2, 4, 11, 9, 1, 44),
     dict(newline="\r\n", table_sep="pad", ss_facility=True), "utf-8",
     "Puerto Rico 2024 with CRLF endings and table numbers aligned by runs of spaces (pdftotext -layout style), "
     "'Social Services Facility' label."),
    ("gu_2024_singulars", "GU", 2024, V(412, 1, 9, 3, 6, None, 1, 2, 1, None, 6),
     dict(), "utf-8",
     "Guam 2024 with singulars '1 submission', '1 engagement', '1 survivor/family' (FAON), no HHS-ORR row, no Team "
     "Adam sentence."),
    ("gu_2022_no_cvip_no_hope_clause", "GU", 2022, V(388, None, 7, 2, 5, None, 2, None, 3, None, 4),
     dict(), "utf-8",
     "Guam 2022 with state sentences left out: no CVIP submissions sentence, no Team HOPE 'including ...' clause "
     "(national Team HOPE figure still stated), no Team Adam, no HHS-ORR row."),
    ("vi_2023", "VI", 2023, V(164, 3, 12, 4, 8, None, 1, 1, 2, 1, 9),
     dict(), "utf-8",
     "U.S. Virgin Islands 2023 ('in the U.S. Virgin Islands', periods inside the place name) with singular engagement "
     "and survivor/family."),
    ("vi_2021_wrap70", "VI", 2021, V(131, 2, 10, 3, 7, None, 2, 3, 1, None, 5),
     dict(wrap=70, forced_breaks=(("2", "submissions"),)), "utf-8",
     "U.S. Virgin Islands 2021 wrapped at 70 columns (the place name and bold spans cross line ends; '2' / "
     "'submissions' split), no Team Adam sentence."),
    ("as_2022_singulars", "AS", 2022, V(1, None, 1, None, 1, None, None, 1, None, None, 1),
     dict(), "utf-8",
     "American Samoa 2022, all singular: '1 CyberTipline report was made available', '1 case of missing children' "
     "(one table row), '1 survivor/family', '1 new ... professional'; CVIP, engagement, FAON and Team Adam sentences "
     "left out."),
    ("mp_2021_singulars", "MP", 2021, V(57, 1, 3, 1, 2, None, 1, 1, 1, 1, 2),
     dict(), "utf-8",
     "Northern Mariana Islands 2021 ('in the Northern Mariana Islands') with '1 submission', '1 engagement', '1 "
     "survivor/family' twice and '1 case'."),
    ("ca_2023_large_values", "CA", 2023, V(150000, 1412, 3987, 3102, 701, 184, 412, 488, 391, 11, 1243),
     dict(ss_facility=True), "utf-8",
     "California 2023 with large state values ('150,000 CyberTipline reports', four-digit table rows) and the "
     "'Facility' table label."),
    ("tx_2024_no_thousands_sep", "TX", 2024, V(41230, 1077, 2418, 1893, 402, 123, 265, 351, 287, 9, 1102),
     dict(thousands_sep=False), "utf-8",
     "Texas 2024 with state numbers written without thousands separators ('41230 CyberTipline reports', table "
     "'1893')."),
    ("oh_2023_cp1252", "OH", 2023, V(13580, 240, 1422, 1160, 231, 31, 52, 143, 101, 3, 287),
     dict(curly=True, nbsp=(("13,580", "CyberTipline"), ("143", "survivors/families"))), "cp1252",
     "Ohio 2023 encoded cp1252 with curly apostrophes (NCMEC\u2019s as byte 0x92) and non-breaking spaces between "
     "figures and nouns."),
    ("fl_2022_utf16", "FL", 2022, V(21846, 388, 2673, 2091, 512, 70, 133, 240, 198, 8, 611),
     dict(), "utf-16",
     "Florida 2022 encoded UTF-16 little-endian with a BOM (NUL bytes that are not binary)."),
    ("mn_2024_bold_span", "MN", 2024, V(4902, 96, 611, 483, 117, 11, 26, 71, 58, 2, 141),
     dict(bold="span"), "utf-8",
     "Minnesota 2024 with bold spans covering two or more sentences (national + state CyberTipline sentences, CVIP, "
     "Team HOPE clause through the FAON sentence)."),
    ("ga_2021_bold_place", "GA", 2021, V(12934, 205, 1587, 1214, 340, 33, 63, 119, 88, 5, 318),
     dict(bold="place"), "utf-8",
     "Georgia 2021 with bold around the place name only (title '**Georgia** Data', 'in **Georgia**')."),
    ("wa_2024_no_hhs_row", "WA", 2024, V(7611, 133, 884, 702, 182, None, 35, 97, 74, 3, 205),
     dict(), "utf-8",
     "Washington 2024 with no HHS-ORR table row: the two remaining rows sum to the total."),
    ("vt_2022_no_cvip", "VT", 2022, V(612, None, 41, 30, 10, 1, 3, 6, 4, 1, 19),
     dict(), "utf-8",
     "Vermont 2022 without the state CVIP submissions sentence (national CVIP cumulative figure still stated), '1 "
     "case' Team Adam."),
    ("me_2021_no_team_adam_paragraph", "ME", 2021, V(1044, 21, 92, 70, 21, 1, 4, 10, 7, None, 26),
     dict(team_adam_paragraph_when_absent=False), "utf-8",
     "Maine 2021 with the whole Team Adam paragraph absent."),
    ("nm_2023_table_colon", "NM", 2023, V(2387, 41, 298, 231, 61, 6, 12, 25, 19, 2, 64),
     dict(table_sep=": ", hhs_colon=False), "utf-8",
     "New Mexico 2023 with table rows 'Label: N' (colon then space), HHS-ORR label without ' :'."),
    ("ky_2024_table_bare_colon", "KY", 2024, V(4120, 77, 509, 418, 83, 8, 18, 44, 36, 1, 112),
     dict(table_sep=":", ss_facility=True, hhs_colon=False), "utf-8",
     "Kentucky 2024 with table rows 'Label:N' (bare colon, no space) and the 'Facility' label."),
    ("nj_2022_wrap78_crlf", "NJ", 2022, V(8905, 167, 1013, 774, 201, 38, 44, 102, 79, 4, 256),
     dict(wrap=78, newline="\r\n", forced_breaks=(("102", "survivors/families"),)), "utf-8",
     "New Jersey 2022 hard-wrapped at 78 columns with CRLF endings; '102' / 'survivors/families' split inside a bold "
     "span."),
    ("or_2023_page_break_in_bold", "OR", 2023, V(3771, 58, 447, 361, 80, 6, 21, 39, 30, 2, 97),
     dict(extra_page_breaks=(("were made", "available"), ("identification of", "27,130"))), "utf-8",
     "Oregon 2023 with extra page-break blank lines mid-sentence: inside the bold CyberTipline sentence and before "
     "the national CVIP figure."),
    ("co_2024_formfeed", "CO", 2024, V(5260, 88, 602, 497, 95, 10, 23, 57, 41, 3, 133),
     dict(page_break="\n\f"), "utf-8",
     "Colorado 2024 whose running/behavior page break is a pdftotext form feed ('running\\n\\fbehavior') instead of a "
     "blank line."),
    ("il_2024_illinois_wording", "IL", 2024, V(24870, 82, 1034, 851, 139, 44, 81, 160, 130, 1, 371),
     dict(illinois_wording=True, ss_facility=True), "utf-8",
     "Illinois 2024 in the Illinois seed's wording: title not bold, 'on all of NCMEC's programs', bold ending before "
     "'in Illinois.'."),
    ("wi_2021", "WI", 2021, V(6112, 131, 233, 158, 71, 4, 15, 58, 39, 2, 84),
     dict(), "utf-8",
     "Wisconsin 2021 in the seed layout with the 2021 national figures (plain baseline for another year)."),
    ("md_2023_no_leading_blank_trailing_newline", "MD", 2023, V(5988, 93, 1206, 1015, 163, 28, 37, 66, 52, 2, 170),
     dict(leading_blank_lines=0, trailing_newline=True), "utf-8",
     "Maryland 2023 with no leading blank lines and a final newline (the seeds have four leading blank lines and none "
     "at the end)."),
    ("ut_2022_no_page_break", "UT", 2022, V(3415, 72, 318, 252, 61, 5, 13, 35, 27, 1, 88),
     dict(page_break=" "), "utf-8",
     "Utah 2022 where the CST paragraph is whole ('running behavior', no page-break blank line)."),
    ("hi_2023_wrap76_trailing_spaces", "HI", 2023, V(1306, 17, 140, 117, 21, 2, 7, 13, 10, 1, 31),
     dict(wrap=76, trailing_spaces=True, forced_breaks=(("13", "survivors/families"),)), "utf-8",
     "Hawaii 2023 wrapped at 76 columns with a trailing space left on each wrapped line; '13' / 'survivors/families' "
     "split."),
    ("nh_2024_bold_number_wrap74", "NH", 2024, V(2051, 70, 203, 140, 57, 6, 13, 27, 20, 1, 66),
     dict(bold="number", wrap=74, forced_breaks=(("2,051**", "CyberTipline"),)), "utf-8",
     "New Hampshire 2024 with bold numbers and a 74-column wrap that splits '**2,051**' from 'CyberTipline'."),
    ("wv_2022_crlf_bom_no_bold", "WV", 2022, V(2600, 39, 231, 180, 49, 2, 8, 28, 21, 1, 70),
     dict(bold="none", newline="\r\n", curly=True), "utf-8-sig",
     "West Virginia 2022 combining UTF-8 BOM, CRLF, curly apostrophes (UTF-8) and no bold markers."),
]

REJECT_SHEETS = [
    # name, geo, year, values, kwargs, covers
    ("reject_breakdown_nv_2023", "NV", 2023, V(3310, 61, 412, 301, 97, 9, 17, 42, 33, 2, 91), dict(),
     "Nevada 2023 whose table rows (301 + 97 + 9 = 407) do not sum to 'handled 412 cases': breakdown_sums on all four "
     "metrics."),
    ("reject_state_over_national_tx_2022", "TX", 2022,
     V(39870, 998, 28350, 19900, 8200, 250, 240, 330, 266, 7, 1015), dict(),
     "Texas 2022 with 28,350 state missing-child cases, more than the national 27,816: state_within_national on "
     "missing_child_cases (table sums; other shared metrics stay below national)."),
]


def _expected(covers, geo, year, obs, rej, rejected=None):
    return {
        "covers": covers,
        "document": {"geo": geo, "year": year, "rejected_check": rejected},
        "observations": obs,
        "rejections": rej,
    }


def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    return text.encode(encoding)


def build() -> dict[str, tuple[bytes, dict, str]]:
    """name -> (bytes, expected, encoding label)"""
    files: dict[str, tuple[bytes, dict, str]] = {}

    for name, geo, year, vals, kw, enc, covers in SHEETS:
        text = render(PLACES[geo][0], year, vals, **kw)
        rej = clean_rejections(geo, year, vals)
        assert rej == [], (name, rej)
        files[name] = (encode(text, enc), _expected(covers, geo, year, observations(geo, year, vals), rej), enc)

    for name, geo, year, vals, kw, covers in REJECT_SHEETS:
        text = render(PLACES[geo][0], year, vals, **kw)
        rej = clean_rejections(geo, year, vals)
        assert rej, name
        files[name] = (encode(text, "utf-8"), _expected(covers, geo, year, observations(geo, year, vals), rej), "utf-8")

    # --- hand edits of rendered sheets -------------------------------------
    # a 2023 Iowa sheet with one sentence dated 2022
    vals = V(2218, 46, 174, 131, 39, 4, 8, 29, 24, 1, 61)
    text = render("Iowa", 2023, vals)
    old = "**In 2023, NCMEC connected 24 survivors/families"
    assert text.count(old) == 1
    text = text.replace(old, "**In 2022, NCMEC connected 24 survivors/families")
    obs = observations("IA", 2023, vals)
    for o in obs:
        if o["metric"] == "faon_mental_health_connections":
            o["year"] = 2022
    files["reject_year_ia_2023"] = (encode(text, "utf-8"), _expected(
        "Iowa 2023 sheet with one sentence dated 'In 2022,' (the FAON connections): year_matches_sheet; the "
        "observation keeps the year 2022.",
        "IA", 2023, obs,
        [{"metric": "faon_mental_health_connections", "check": "year_matches_sheet", "geo": "IA", "year": 2022}]),
        "utf-8")

    # a Wisconsin 2023 sheet (the seed's numbers) whose CyberTipline sentence names Minnesota
    text = render("Wisconsin", 2023, WI_2023_SEED)
    old = "made available to law enforcement in Wisconsin.**"
    assert text.count(old) == 1
    text = text.replace(old, "made available to law enforcement in Minnesota.**")
    obs = observations("WI", 2023, WI_2023_SEED)
    for o in obs:
        if o["metric"] == "cybertipline_reports_to_law_enforcement":
            o["geo"] = "MN"
    files["reject_place_wi_minnesota"] = (encode(text, "utf-8"), _expected(
        "Wisconsin 2023 sheet (seed numbers) whose CyberTipline sentence says 'in Minnesota': the observation has geo "
        "MN and place_matches_sheet rejects it.",
        "WI", 2023, obs,
        [{"metric": "cybertipline_reports_to_law_enforcement", "check": "place_matches_sheet", "geo": "MN",
          "year": 2023}]),
        "utf-8")

    # --- whole-document rejections --------------------------------------------
    def whole(name, data, check, covers, enc="bytes"):
        files[name] = (data, _expected(covers, None, None, [], [{"metric": None, "check": check}], check), enc)

    whole("empty", b"", "empty", "A zero-byte file.")
    whole("whitespace_only", b"\n\n  \t\r\n \n\n\n", "empty",
          "A file of blank lines, spaces, a tab and a CRLF only.")
    rng = random.Random(20240601)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x00\x00\x00\x01\x80\x08\x06\x00\x00\x00" \
        + bytes(rng.randrange(256) for _ in range(600))
    whole("binary_png", png, "binary", "PNG signature and IHDR chunk followed by 600 pseudo-random bytes.")
    sheet = render("Montana", 2023, V(1480, 31, 88, 61, 25, 2, 6, 17, 12, 1, 40))
    whole("binary_gzip", gzip.compress(sheet.encode("utf-8"), mtime=0), "binary",
          "A gzip stream (1f 8b header) whose content is a Montana 2023 sheet: still binary, not to be unpacked.")
    whole("not_a_fact_sheet_recipe", RECIPE.encode("utf-8"), "not_a_fact_sheet",
          "An English recipe with numbers and a year, nothing from NCMEC.", "utf-8")
    whole("not_a_fact_sheet_readme", README_TEXT.encode("utf-8"), "not_a_fact_sheet",
          "A software README in Markdown that mentions 'In 2023,' and numbers but is no fact sheet.", "utf-8")
    atl = render("Atlantis", 2023, V(912, 14, 61, 40, 19, 2, 5, 9, 6, 1, 22))
    whole("unknown_state_atlantis", atl.encode("utf-8"), "unknown_state",
          "A well-formed 2023 sheet whose title place is 'Atlantis Data' (not a state, DC or territory).", "utf-8")
    mt = render("Montana", 2023, V(1480, 31, 88, 61, 25, 2, 6, 17, 12, 1, 40))
    noyear = re.sub(r"In 2023, (.)", lambda m: m.group(1).upper(), mt)
    assert "2023" not in noyear
    whole("no_year", noyear.encode("utf-8"), "no_year",
          "A Montana sheet with every 'In 2023,' removed (sentences re-capitalised): no year anywhere.", "utf-8")
    return files


RECIPE = """Grandma's Sunday Apple Pie

Serves 8. In 2023, this recipe won second place at the county fair.

Ingredients
2 1/2 cups all-purpose flour
1 cup cold butter, cubed
6 to 8 tablespoons ice water
7 medium apples, peeled and sliced
3/4 cup sugar
1 teaspoon cinnamon

Method
Mix the flour and butter until the pieces are the size of peas. Add the water one spoon at a time.
Chill the dough for 1 hour. Toss the apples with sugar and cinnamon, fill the crust, and bake at
425 degrees for 45 minutes, until the crust is golden and the filling bubbles.
"""

README_TEXT = """# csvtidy

A small command-line tool that cleans CSV exports before they are loaded into a database.

## Install

    pip install csvtidy

## Usage

    csvtidy clean input.csv --out clean.csv

In 2023, csvtidy processed more than 1,200 files in our nightly jobs, with 3 reported bugs.
Columns are trimmed, dates are normalised to ISO 8601 and empty rows are dropped.

## License

MIT
"""


# --------------------------------------------------------------------------
# checks: re-read every written file and compare with its expected values

def decode(data: bytes, enc: str) -> str:
    if enc == "utf-16":
        assert data[:2] == b"\xff\xfe"
        return data[2:].decode("utf-16-le")
    if enc == "utf-8-sig":
        assert data[:3] == b"\xef\xbb\xbf"
    return data.decode(enc)


QUAL_WORDS = {"at_least": ("more than ", "over ", "at least "), "at_most": ("nearly ", "almost ")}


def check_text(name: str, text: str, exp: dict) -> None:
    """Every number in the sheet is an expected value and every expected value is
    in the sheet, with the qualifier its wording implies. Deliberately dumb: it
    knows no metric names, so it checks the expected file, not an extractor."""
    flat = re.sub(r"\s+", " ", text.replace("**", "").replace("\u00a0", " ").replace("\ufeff", ""))
    found = []  # (value, qualifier)
    for m in re.finditer(r"(?<![\w.,])(\d[\d,]*(?:\.\d+)?)(?![\d])", flat):
        tok = m.group(1).rstrip(",")
        before, after = flat[:m.start()], flat[m.end() - (len(m.group(1)) - len(tok)):]
        if re.fullmatch(r"20\d\d", tok) and before.endswith("In "):
            continue  # a sentence's year
        if tok in ("1", "2", "3") and before.endswith("(") and after.startswith(")"):
            continue  # "(1) case-based assistance"
        val = float(tok.replace(",", ""))
        if after.startswith(" million"):
            val *= 1_000_000
            qual = "approximate"
        else:
            qual = "exact"
        for q, words in QUAL_WORDS.items():
            if before.endswith(words):
                qual = q
        found.append((round(val), qual))
    expected = [(o["value"], o["qualifier"]) for o in exp["observations"]]
    assert sorted(found) == sorted(expected), (name, sorted(set(found) ^ set(expected)),
                                                len(found), len(expected))
    # every state observation's place is named in the sheet
    for o in exp["observations"]:
        if o["geo"] != "US":
            pname = PLACES[o["geo"]][0]
            assert pname in flat, (name, pname)
        assert f"In {o['year']}," in flat or o["metric"] in TABLE_METRICS, (name, o)


SEEDS = HERE.parents[2] / "shared" / "seeds"  # /work/shared/seeds beside the repo


def check_seeds() -> None:
    """The template reproduces both real sheets byte for byte."""
    wi = SEEDS / "000_688fd10d68973722.txt"
    il = SEEDS / "004_7be2b4a232efdfb0.txt"
    if not wi.exists():
        print("seeds not found, template not compared")
        return
    assert render("Wisconsin", 2023, WI_2023_SEED).encode("utf-8") == wi.read_bytes()
    il_vals = V(26696, 77, 980, 805, 133, 42, 78, 151, 123, 1, 354)
    assert render("Illinois", 2023, il_vals, illinois_wording=True, ss_facility=True).encode("utf-8") \
        == il.read_bytes()
    print("template reproduces both seeds byte for byte")


def check_all(files: dict[str, tuple[bytes, dict, str]]) -> None:
    """The files on disk are exactly what build() makes, and each sheet's text
    agrees with its expected values (check_text)."""
    check_seeds()
    on_disk = sorted(p.name[: -len(".expected.json")] for p in HERE.glob("*.expected.json"))
    assert on_disk == sorted(files), sorted(set(on_disk) ^ set(files))
    assert len(files) >= 40, len(files)
    places, years = set(), set()
    for name, (data, exp, enc) in sorted(files.items()):
        assert (HERE / f"{name}.txt").read_bytes() == data, name
        assert json.loads((HERE / f"{name}.expected.json").read_text(encoding="utf-8")) == exp, name
        doc = exp["document"]
        if doc["rejected_check"]:
            assert exp["observations"] == []
            assert exp["rejections"] == [{"metric": None, "check": doc["rejected_check"]}]
            continue
        text = decode(data, enc)
        check_text(name, text, exp)
        places.add(doc["geo"])
        years.add(doc["year"])
        # national figures: one value per (year, metric) across the corpus
        for o in exp["observations"]:
            if o["geo"] == "US":
                ref = {m: (v, q) for m, v, q in NATIONAL[o["year"]]["obs"]}
                assert ref[o["metric"]] == (o["value"], o["qualifier"]), (name, o)
    assert len(places) >= 12 and len(years) >= 3, (places, years)
    print(f"checked {len(files)} files, {len(places)} places, years {sorted(years)}")


def main(argv: list[str]) -> int:
    files = build()
    if "--check" not in argv:
        for name, (data, exp, _enc) in sorted(files.items()):
            with open(HERE / f"{name}.txt", "wb") as fh:
                fh.write(data)
            with open(HERE / f"{name}.expected.json", "w", encoding="utf-8", newline="\n") as fh:
                json.dump(exp, fh, indent=2, ensure_ascii=False)
                fh.write("\n")
        lines = ["# Variant fact sheets", "",
                 "Test inputs for the extractor: each `<name>.txt` (any encoding; some are not text at all) has a",
                 "`<name>.expected.json` with every value the sheet states and what validation of that file alone",
                 "must reject. Made by `render.py` (stdlib only; `python3 render.py --check` re-reads and checks",
                 "them against what it would write). The encoding in brackets is how the bytes were made.",
                 "",
                 "Conventions: national figures have geo `US` and are identical for every sheet of a year;",
                 "rejection items carry the geo/year of the observation they reject; whole-document rejections",
                 "have `document.geo`/`year` null. `render.py --check` also verifies that the template reproduces",
                 "both seeds (../shared/seeds beside the repo) byte for byte, when that folder is there.",
                 ""]
        for name, (_data, exp, enc) in sorted(files.items()):
            lines.append(f"- `{name}.txt` ({enc}): {exp['covers']}")
        with open(HERE / "README.md", "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(lines) + "\n")
    check_all(files)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
