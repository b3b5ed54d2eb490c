// The table of exponential bucket-bound fractions (exponential_bounds_table.cc);
// used by bucket_bounds.cc only.
//
// Thread-safety: immutable data.
#pragma once

namespace promethium {

// For schema s in 0..8, entries [2^s - 1, 2^(s+1) - 1) are the 2^s fractions.
extern const double kExponentialBoundFractions[511];

}  // namespace promethium
