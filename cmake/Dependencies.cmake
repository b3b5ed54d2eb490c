# Every dependency is a Debian 12 package installed by scripts/setup.sh.
find_package(Threads REQUIRED)
find_package(Boost 1.81.0 REQUIRED CONFIG COMPONENTS json url)
find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
if(PROMETHIUM_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(PROMETHIUM_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# Boost.Asio/Beast are header-only; this interface target carries the
# defines every HTTP translation unit needs. Link it only from the few files
# that do HTTP, to keep build times down.
add_library(promethium_asio INTERFACE)
target_link_libraries(promethium_asio INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(promethium_asio INTERFACE
  BOOST_ASIO_NO_DEPRECATED
  BOOST_BEAST_USE_STD_STRING_VIEW)
