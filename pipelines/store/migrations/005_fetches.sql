-- Release 0.5.0 (issue 23): `ncmec fetch` brings sheets from their URLs into the raw folder and
-- keeps a ledger of every URL it asks: `fetches`, one row per URL per fetch, whose ETag and
-- Last-Modified the next fetch sends back so that an unchanged sheet costs one small request.
-- A new table: the warehouse's other tables are as they were. (The columns' descriptions are
-- written by the migration step, from pipelines/core/tables.py, as for every table.)

create table fetches (
    fetch_id varchar not null,
    url varchar not null,
    kind varchar not null,
    status varchar not null,
    http_status integer,
    final_url varchar,
    source_file varchar,
    etag varchar,
    last_modified varchar,
    sha256 varchar,
    n_bytes bigint,
    fetched_at timestamptz not null,
    "check" varchar,
    error varchar
);
