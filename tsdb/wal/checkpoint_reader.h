// ReadCheckpoint: hands every record of one checkpoint directory
// (checkpoint.h) to a callback, in order.
//
// Unlike the WAL's own tail, a checkpoint is written completely and fsynced
// before it is renamed into place, so any damage in it (a torn or corrupt
// frame, a gap in its segment files, no segment at all) is real data loss:
// it is an error naming the file and byte offset, never repaired silently.
//
// Thread-safety: a free function; reads only the given directory.
#pragma once

#include <cstdint>
#include <string>

#include "tsdb/base/env.h"
#include "tsdb/base/status.h"
#include "tsdb/wal/segment_reader.h"

namespace promethium::tsdb::wal {

// `records` (may be null) is incremented once per record handed over.
Status ReadCheckpoint(Env* env, const std::string& checkpoint_dir, const RecordHandler& on_record, uint64_t* records);

}  // namespace promethium::tsdb::wal
