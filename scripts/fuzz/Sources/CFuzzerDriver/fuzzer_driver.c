// Only the declaration in include/fuzzer_driver.h is needed; libFuzzer defines the function.
#include "fuzzer_driver.h"
