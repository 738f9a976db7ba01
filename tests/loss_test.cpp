// The loss, np.mean((y - w*x)**2), against numpy's own results (numpy < 2.3 and >= 2.3 sum differently
// past 8192 points), and the SIMD path against the scalar path lane by lane.
#include "test_util.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace lrf::test {
namespace {

struct MeanCase {
  std::int64_t n;
  double w;
  std::uint64_t bits;
};

// np.mean((y - w*x)**2) for x = linspace(-3, 7, n), y = 1.5x + ((arange(n)*7919) % 101 - 50)*0.01.
const MeanCase kWhole[] = { // numpy 2.4
    {1, 0.3, 0x4030cf5c28f5c28full},      {1, 2.7, 0x40233851eb851ebdull},
    {1, -4.1, 0x4072b4a3d70a3d6full},     {5, 0.3, 0x4038bb61bb05faedull},
    {5, 2.7, 0x4036f869835158baull},      {5, -4.1, 0x40804d21ea35935full},
    {8, 0.3, 0x4035d0e996ca9393ull},      {8, 2.7, 0x4034c303eba3144full},
    {8, -4.1, 0x407d00016f0068daull},     {100, 0.3, 0x4032322d5a989839ull},
    {100, 2.7, 0x4031faf7d206875full},    {100, -4.1, 0x40788a449e78f24aull},
    {129, 0.3, 0x4032161bb82d577full},    {129, 2.7, 0x4031fb0b314b7d82ull},
    {129, -4.1, 0x4078730792a57597ull},   {1000, 0.3, 0x4031de7bd284ecaaull},
    {1000, 2.7, 0x4031de7524c131beull},   {1000, -4.1, 0x4078361bb364ae86ull},
    {8192, 0.3, 0x4031d8dd373ee0e0ull},   {8192, 2.7, 0x4031d9491025d940ull},
    {8192, -4.1, 0x40782eb172127468ull},  {8193, 0.3, 0x4031d8d882544c65ull},
    {8193, 2.7, 0x4031d94c608e711cull},   {8193, -4.1, 0x40782eb033b2050cull},
    {20011, 0.3, 0x4031d89e1cdddf43ull},  {20011, 2.7, 0x4031d8a3c0a2387bull},
    {20011, -4.1, 0x40782e25ecd0a97bull}, {100003, 0.3, 0x4031d8612a0ec5abull},
    {100003, 2.7, 0x4031d8624bc274b4ull}, {100003, -4.1, 0x40782dd0fb3dc89eull}};
const MeanCase kBlocked[] = { // numpy 1.26
    {1, 0.3, 0x4030cf5c28f5c28full},      {1, 2.7, 0x40233851eb851ebdull},
    {1, -4.1, 0x4072b4a3d70a3d6full},     {5, 0.3, 0x4038bb61bb05faedull},
    {5, 2.7, 0x4036f869835158baull},      {5, -4.1, 0x40804d21ea35935full},
    {8, 0.3, 0x4035d0e996ca9393ull},      {8, 2.7, 0x4034c303eba3144full},
    {8, -4.1, 0x407d00016f0068daull},     {100, 0.3, 0x4032322d5a989839ull},
    {100, 2.7, 0x4031faf7d206875full},    {100, -4.1, 0x40788a449e78f24aull},
    {129, 0.3, 0x4032161bb82d577full},    {129, 2.7, 0x4031fb0b314b7d82ull},
    {129, -4.1, 0x4078730792a57597ull},   {1000, 0.3, 0x4031de7bd284ecaaull},
    {1000, 2.7, 0x4031de7524c131beull},   {1000, -4.1, 0x4078361bb364ae86ull},
    {8192, 0.3, 0x4031d8dd373ee0e0ull},   {8192, 2.7, 0x4031d9491025d940ull},
    {8192, -4.1, 0x40782eb172127468ull},  {8193, 0.3, 0x4031d8d882544c65ull},
    {8193, 2.7, 0x4031d94c608e711cull},   {8193, -4.1, 0x40782eb033b2050cull},
    {20011, 0.3, 0x4031d89e1cdddf43ull},  {20011, 2.7, 0x4031d8a3c0a2387bull},
    {20011, -4.1, 0x40782e25ecd0a97dull}, {100003, 0.3, 0x4031d8612a0ec5abull},
    {100003, 2.7, 0x4031d8624bc274b4ull}, {100003, -4.1, 0x40782dd0fb3dc89dull}};

Problem wobble(std::int64_t n, std::int64_t sum_block) {
  Problem p;
  p.x = linspace(-3, 7, n);
  for (std::int64_t i = 0; i < n; ++i)
    p.y.push_back(1.5 * p.x[i] + static_cast<double>(i * 7919 % 101 - 50) * 0.01);
  p.sum_block = sum_block;
  return p;
}

std::uint64_t bits(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

TEST(Loss, MatchesNumpyBefore2_3) {
  for (const auto &c : kBlocked)
    EXPECT_EQ(bits(mean_squared_error(wobble(c.n, 8192).data(), c.w)), c.bits) << "n=" << c.n << " w=" << c.w;
}

TEST(Loss, MatchesNumpyFrom2_3) {
  for (const auto &c : kWhole)
    EXPECT_EQ(bits(mean_squared_error(wobble(c.n, c.n).data(), c.w)), c.bits) << "n=" << c.n << " w=" << c.w;
}

TEST(Loss, SimdLanesEqualTheScalarPath) {
  typedef double Lanes __attribute__((vector_size(8 * sizeof(double))));
  for (std::int64_t n : {1, 7, 8, 9, 100, 129, 1000, 20011}) {
    Problem p = wobble(n, 8192);
    Lanes w = {0.3, 2.7, -4.1, 1e-300, -1e10, 5.0, 2.5, 0.0};
    Lanes got = mean_squared_error(p.data(), w);
    for (int j = 0; j < 8; ++j)
      EXPECT_EQ(bits(got[j]), bits(mean_squared_error(p.data(), w[j]))) << "n=" << n << " lane " << j;
  }
}

TEST(Loss, SeedDataAtTheTrueWeightIsZero) {
  Problem p = seed_problem();
  EXPECT_EQ(mean_squared_error(p.data(), 2.5), 0.0);
}

} // namespace
} // namespace lrf::test
