-- The warehouse's tables (DESIGN.md, Tables). Every row carries the load_id of the run that
-- last changed it. Columns added here later are added to existing warehouses by load.py. No primary keys: the pandera schemas enforce keys before a load, and DuckDB
-- rejects a delete-then-insert of the same key inside one transaction.

create table if not exists documents (
    source_file    varchar not null,  -- path relative to the raw folder
    sha256         varchar not null,
    n_bytes        bigint not null,
    encoding       varchar,
    geo            varchar,
    year           integer,
    status         varchar not null,  -- loaded, duplicate, rejected, removed
    rejected_check varchar,           -- for a rejected file: the check that rejected it
    reason         varchar,           -- for a rejected file: why, in a sentence
    n_observations integer not null,
    text           varchar,           -- the decoded text that char_start/char_end point into
    parser         varchar,           -- fingerprint of the extractor that parsed it
    load_id        varchar not null
);

create table if not exists observations (
    source_file varchar not null,
    geo         varchar not null,
    year        integer not null,
    metric      varchar not null,
    value       double not null,
    qualifier   varchar not null,  -- exact, approximate, at_least, at_most
    unit        varchar not null,
    evidence    varchar not null,  -- the sentence or table row, verbatim
    char_start  integer not null,
    char_end    integer not null,
    accepted    boolean not null,  -- false when a check rejected it (see rejections)
    load_id     varchar not null
);

create table if not exists facts (
    geo         varchar not null,
    year        integer not null,
    metric      varchar not null,
    value       double not null,
    qualifier   varchar not null,
    unit        varchar not null,
    source_file varchar not null,  -- the first (by name) of the documents that agree
    n_sources   integer not null,  -- how many distinct documents give this value
    load_id     varchar not null
);

create table if not exists rejections (
    source_file varchar not null,
    geo         varchar,
    year        integer,
    metric      varchar,           -- null when the whole document is rejected
    "check"     varchar not null,
    reason      varchar not null,
    evidence    varchar,
    load_id     varchar not null
);

create table if not exists metrics (
    metric      varchar not null,
    scope       varchar not null,
    program     varchar not null,
    unit        varchar not null,
    description varchar not null,
    example     varchar not null,
    load_id     varchar not null
);

create table if not exists geos (
    geo     varchar not null,  -- USPS code; US for the nation
    name    varchar not null,
    kind    varchar not null,  -- state, district, territory, nation
    fips    varchar,
    load_id varchar not null
);

create table if not exists load_runs (
    load_id         varchar not null,
    started_at      timestamptz not null,
    finished_at     timestamptz,
    status          varchar not null,  -- running, completed, failed
    raw_dir         varchar,
    files_seen      integer,
    files_parsed    integer,           -- decoded and extracted this run (the rest were known)
    files_loaded    integer,
    files_duplicate integer,
    files_rejected  integer,
    files_removed   integer,
    observations    integer,
    facts           integer,
    rejections      integer,
    facts_added     integer,
    facts_changed   integer,
    facts_removed   integer,
    decode_seconds   double,           -- summed over parse workers
    extract_seconds  double,           -- summed over parse workers
    validate_seconds double,
    load_seconds     double,
    error           varchar
);

create table if not exists fact_changes (
    geo           varchar not null,
    year          integer not null,
    metric        varchar not null,
    change        varchar not null,  -- added, changed, removed
    old_value     double,
    new_value     double,
    old_qualifier varchar,
    new_qualifier varchar,
    load_id       varchar not null
);
