#!/bin/sh
# Run once by the mysql image when it initialises an empty data directory: the
# read-only account mysqld-exporter logs in with (password from MYSQL_EXPORTER_PASSWORD,
# see docker-compose.yml). PROCESS and REPLICATION CLIENT are what its default
# collectors read; it can change nothing.
mysql --protocol=socket -uroot -p"$MYSQL_ROOT_PASSWORD" <<SQL
CREATE USER IF NOT EXISTS 'exporter'@'%' IDENTIFIED BY '${MYSQL_EXPORTER_PASSWORD}' WITH MAX_USER_CONNECTIONS 3;
GRANT SELECT ON performance_schema.* TO 'exporter'@'%';
GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'exporter'@'%';
SQL
