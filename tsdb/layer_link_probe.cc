// The main() of the per-layer link probes (tsdb/CMakeLists.txt): each probe
// takes every object of one layer target and links only what that layer
// declares, so a call into a higher layer or an unlinked sibling fails the
// build with an undefined reference. Does nothing when run.
//
// Thread-safety: not applicable.
int main() { return 0; }
