#include <gtest/gtest.h>
TEST(Oracle, Placeholder) {}
