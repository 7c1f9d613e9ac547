#!/bin/sh
# First start of the PostgreSQL volume only: one role and one database each for Nextcloud and
# Quorum (passwords from the environment, never written anywhere else).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
  -v quorum_pw="$QUORUM_DB_PASSWORD" -v nextcloud_pw="$NEXTCLOUD_DB_PASSWORD" <<'SQL'
CREATE ROLE quorum LOGIN PASSWORD :'quorum_pw';
CREATE DATABASE quorum OWNER quorum;
CREATE ROLE nextcloud LOGIN PASSWORD :'nextcloud_pw' CREATEDB;
CREATE DATABASE nextcloud OWNER nextcloud;
SQL
