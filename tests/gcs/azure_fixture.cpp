// The fake metadata server (and Azurite launcher) from tests/azure, compiled into this binary too.
#include "tests/azure/azurite.cpp"
