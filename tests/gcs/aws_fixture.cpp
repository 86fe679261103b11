// The S3 tests' fixtures (temporary folders, child processes, free ports, the local S3 stack) are
// compiled into this binary too: shared with tests/aws, not copied.
#include "tests/aws/fixture.cpp"
