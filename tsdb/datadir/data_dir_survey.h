// DataDirSurvey: what a data directory holds and whose each part is, taken
// before DB::Open changes anything in it.
//
// Every entry the DB might act on is probed (file_probe.h): block
// directories (named by ULID), leftover *.tmp-for-creation/*.tmp-for-deletion
// directories, wal/ (segments and checkpoint.N/, checkpoint.N.tmp/), wbl/,
// chunks_head/ and chunk_snapshot.*. The DB then:
//   - refuses to start when `foreign` is not empty: those files are in
//     neither format and are never touched (FailedPreconditionFor names
//     them and says what to do);
//   - opens Prometheus's blocks in place and migrates its WAL once
//     (docs/STORAGE.md, "Migrating from Prometheus");
//   - repairs, quarantines and removes only what is provably its own.
// Other entries (lock, queries.active, snapshots/, a user's own files) are
// not ours to judge and are left alone.
//
// Thread-safety: SurveyDataDir is a pure function over the Env; the caller
// ensures nobody changes the directory meanwhile.
#pragma once

#include <string>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"
#include "tsdb/datadir/file_probe.h"

namespace promethium::tsdb {

struct SurveyedPath {
  std::string path;
  std::string detail;  // why it is foreign, or what Prometheus artefact it is
};

struct DataDirSurvey {
  // Block directories by format (directory names, ascending).
  std::vector<std::string> promethium_blocks;
  std::vector<std::string> prometheus_blocks;
  // Leftover temporary block directories that hold only files of a known
  // format (ours or Prometheus's, which Prometheus itself removes on open).
  std::vector<std::string> removable_tmp_dirs;
  // Temporary block directories with foreign content: left alone (they are
  // never loaded), reported in the log.
  std::vector<SurveyedPath> foreign_tmp_dirs;

  // The owner of wal/ as a whole: kEmpty when absent or holding only empty
  // files, kPromethium/kPrometheus when every non-empty file is of that
  // format. A mix of both formats is reported in `foreign`.
  FileOwner wal = FileOwner::kEmpty;
  // Prometheus-only artefacts: wbl/ segments, chunks_head/ files, and
  // chunk_snapshot.* directories.
  std::vector<SurveyedPath> prometheus_artifacts;
  // chunks_head/ holds files of ours (removed and rebuilt on open).
  bool promethium_head_chunks = false;

  // Files in neither format where the DB would act: start-up must stop.
  std::vector<SurveyedPath> foreign;

  // Whether anything of Prometheus's is here (blocks, WAL or artefacts).
  bool HasPrometheusData() const;
  // Whether Prometheus's WAL, WBL, head chunks or snapshot are here, i.e.
  // whether a migration of Prometheus's head is still to be done.
  bool HasPrometheusHead() const;
};

Result<DataDirSurvey> SurveyDataDir(Env* env, const std::string& dir);

// The start-up error for a survey with foreign files: names each (up to a
// few), says that nothing was modified and what to do.
Status FailedPreconditionFor(const std::string& dir, const DataDirSurvey& survey);

}  // namespace promethium::tsdb
