# Installs the example config for the system service: the repository's runbookd.yaml
# with the paths of an installed runbookd (database in the service's state directory,
# token and header-secret files under the config directory). Run by `cmake --install` with
# SRC (runbookd.yaml), DEST (the directory, DESTDIR applied) and ETCDIR set.
file(READ "${SRC}" text)
set(rewrites
  "database: var/runbookd.db" "database: /var/lib/runbookd/runbookd.db"
  "token_file: var/tokens/" "token_file: ${ETCDIR}/tokens/"
  "file: var/tokens/" "file: ${ETCDIR}/tokens/")
list(LENGTH rewrites n)
math(EXPR last "${n} - 1")
foreach(i RANGE 0 ${last} 2)
  math(EXPR j "${i} + 1")
  list(GET rewrites ${i} from)
  list(GET rewrites ${j} to)
  string(FIND "${text}" "${from}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "install_config: \"${from}\" not found in ${SRC}")
  endif()
  string(REPLACE "${from}" "${to}" text "${text}")
endforeach()
set(head "# Installed by `cmake --install` from the repository's runbookd.yaml: the database is\n# /var/lib/runbookd (the service's StateDirectory), token files are in\n# ${ETCDIR}/tokens/ (mode 0640, group runbookd); see runbookd.yaml(5).\n")
file(MAKE_DIRECTORY "${DEST}")
file(WRITE "${DEST}/runbookd.yaml" "${head}${text}")
message(STATUS "Installing: ${DEST}/runbookd.yaml")
