# Runs `npm ci` in web/ui when node_modules is missing or was installed from
# another package-lock.json (a hash stamp inside node_modules says which).
# Several build trees share web/ui/node_modules, so a file lock serializes
# them. Invoked by web/ui/CMakeLists.txt:
#   cmake -DNPM=<npm> -DUI_DIR=<web/ui> -DSTAMP=<build stamp> -P npm_ci.cmake
file(SHA256 "${UI_DIR}/package-lock.json" lock_hash)
set(inner_stamp "${UI_DIR}/node_modules/.promethium-lock.sha256")
file(LOCK "${UI_DIR}/.npm-ci.lock" GUARD PROCESS TIMEOUT 600)
set(installed "")
if(EXISTS "${inner_stamp}")
  file(READ "${inner_stamp}" installed)
endif()
if(NOT installed STREQUAL lock_hash)
  message(STATUS "web UI: npm ci (package-lock.json changed or node_modules missing)")
  execute_process(
    COMMAND "${NPM}" ci --no-audit --no-fund --loglevel=error
    WORKING_DIRECTORY "${UI_DIR}"
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "web UI: `npm ci` failed in ${UI_DIR} (exit ${rc}). "
      "Is the npm registry reachable? Run scripts/setup.sh for node and npm.")
  endif()
  file(WRITE "${inner_stamp}" "${lock_hash}")
endif()
file(WRITE "${STAMP}" "${lock_hash}\n")
