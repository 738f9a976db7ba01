// The loss, np.mean((y - w*x)**2), against numpy's own results (numpy < 2.3 and >= 2.3 sum differently
// past 8192 points), and the SIMD path against the scalar path lane by lane.
#include "test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>

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

// Distance in units in the last place between two finite doubles of one sign.
std::int64_t ulps(double a, double b) {
  const auto ia = static_cast<std::int64_t>(bits(a)), ib = static_cast<std::int64_t>(bits(b));
  return ia > ib ? ia - ib : ib - ia;
}

// fdlibm's exp and log1p: the values fdlibm gives at the edges, and within 1 ulp of the C library's
// (correctly rounded on these inputs) over the logistic loss's domains, exp on [-750, 0], log1p on [0, 1].
TEST(Loss, FdlibmExpAndLog1pAreWithinAnUlpOfTheCLibrary) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(bits(fdlibm::exp(0.0)), bits(1.0));
  EXPECT_EQ(bits(fdlibm::exp(-0.0)), bits(1.0));
  EXPECT_EQ(bits(fdlibm::exp(-inf)), bits(0.0));
  EXPECT_EQ(fdlibm::exp(inf), inf);
  EXPECT_EQ(fdlibm::exp(710.0), inf);
  EXPECT_TRUE(std::isnan(fdlibm::exp(std::nan(""))));
  EXPECT_EQ(bits(fdlibm::exp(-745.2)), bits(0.0));
  EXPECT_EQ(fdlibm::exp(-745.1), 4.9406564584124654e-324);  // the smallest subnormal
  EXPECT_EQ(bits(fdlibm::exp(1.0)), 0x4005bf0a8b14576aull); // 2.7182818284590455: glibc rounds it up
  EXPECT_EQ(bits(fdlibm::log1p(0.0)), bits(0.0));
  EXPECT_EQ(bits(fdlibm::log1p(-0.0)), bits(-0.0));
  EXPECT_EQ(bits(fdlibm::log1p(1.0)), 0x3fe62e42fefa39efull); // ln 2
  EXPECT_EQ(fdlibm::log1p(-1.0), -inf);
  EXPECT_TRUE(std::isnan(fdlibm::log1p(-2.0)));
  EXPECT_EQ(fdlibm::log1p(1e-300), 1e-300);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> exp_arg(-750, 0), log1p_arg(0, 1);
  std::int64_t exp_off = 0, log1p_off = 0, worst = 0;
  constexpr int kInputs = 100000;
  for (int i = 0; i < kInputs; ++i) {
    const double a = exp_arg(rng), b = log1p_arg(rng);
    const std::int64_t e = ulps(fdlibm::exp(a), std::exp(a)), l = ulps(fdlibm::log1p(b), std::log1p(b));
    exp_off += e != 0;
    log1p_off += l != 0;
    worst = std::max({worst, e, l});
  }
  EXPECT_LE(worst, 1);
  std::printf(
      "fdlibm vs the C library on %d inputs: exp differs on %.2f%%, log1p on %.2f%%, by 1 ulp at most\n",
      kInputs, 100.0 * static_cast<double>(exp_off) / kInputs,
      100.0 * static_cast<double>(log1p_off) / kInputs);
}

// Each loss on hand-worked points: x = 1, 2, 3 and y = 2, 2, 2 at w = 1 give r = 1, 0, -1.
TEST(Loss, EachLossIsItsNumpyExpression) {
  Problem p;
  p.x = {1, 2, 3};
  p.y = {2, 2, 2};
  p.sum_block = 3;
  RunConfig c;
  EXPECT_EQ(trial_loss(c, p.data(), 1.0), 2.0 / 3);
  c.loss = Loss::mae;
  EXPECT_EQ(trial_loss(c, p.data(), 1.0), 2.0 / 3);
  c.loss = Loss::huber;
  c.huber_delta = 0.5; // 0 and twice 0.5 * (1 - 0.25)
  EXPECT_EQ(trial_loss(c, p.data(), 1.0), 0.75 / 3);
  c.huber_delta = 1; // 0.5 * r * r throughout: the mse halved
  EXPECT_EQ(trial_loss(c, p.data(), 1.0), 1.0 / 3);
  // logistic: z = 0 gives log1p(exp(0)) = ln 2 whatever the label; z = -1000 with label 0 gives 0 (the
  // exponential underflows) and with label 1 gives 1000.
  c.loss = Loss::logistic;
  p.x = {0, -1000, -1000};
  p.y = {1, 0, 1};
  p.sum_block = 3;
  const double ln2 = fdlibm::log1p(1.0);
  EXPECT_EQ(trial_loss(c, p.data(), 1.0), ((ln2 + 0.0) + 1000.0) / 3);
}

// Each loss in SIMD lanes (and the minibatch view in lanes) equals the scalar path, lane by lane.
TEST(Loss, EveryLossInSimdLanesEqualsTheScalarPath) {
  typedef double Lanes __attribute__((vector_size(8 * sizeof(double))));
  const Lanes w = {0.3, 2.7, -4.1, 1e-300, -1e10, 5.0, 2.5, 0.0};
  for (std::int64_t n : {1, 7, 9, 129, 1000}) {
    Problem p = wobble(n, 8192);
    for (double &y : p.y) // labels 0 or 1, for the logistic loss; a line with errors for the others
      y = y > 1 ? 1.0 : 0.0;
    for (Loss loss : {Loss::mse, Loss::mae, Loss::huber, Loss::logistic}) {
      RunConfig c;
      c.loss = loss;
      c.huber_delta = 0.6;
      const Lanes got = run_loss(c, p.data(), w);
      for (int j = 0; j < 8; ++j)
        EXPECT_EQ(bits(got[j]), bits(trial_loss(c, p.data(), w[j])))
            << loss_name(loss) << ", n=" << n << " lane " << j;
      c.minibatch = n;
      MinibatchView<Lanes> m = minibatch_view<Lanes>(c, p.data());
      for (int j = 0; j < 8; ++j)
        m.trial[j] = 10 + j, m.eval[j] = 3 * j;
      const Lanes drawn = run_loss(c, m, w);
      for (int j = 0; j < 8; ++j)
        EXPECT_EQ(bits(drawn[j]), bits(evaluation_loss(c, p.data(), w[j], 10 + j, 3 * j)))
            << loss_name(loss) << ", minibatch of " << n << ", lane " << j;
    }
  }
}

// A minibatch's loss is the loss of its drawn points, gathered by hand, in order; the draws are uniform
// over the points, and differ between trials and evaluations.
TEST(Loss, MinibatchIsTheLossOfItsDrawnPoints) {
  Problem p = wobble(1000, 8192);
  RunConfig c;
  c.seed = 42;
  for (std::int64_t b : {1, 5, 16, 200}) {
    c.minibatch = b;
    for (Loss loss : {Loss::mse, Loss::mae, Loss::huber}) {
      c.loss = loss;
      Problem drawn;
      for (std::int64_t i = 0; i < b; ++i) {
        const std::int64_t at = minibatch_point(c.seed, 7, 3, i, 1000);
        drawn.x.push_back(p.x[at]);
        drawn.y.push_back(p.y[at]);
      }
      drawn.sum_block = b;
      EXPECT_EQ(bits(evaluation_loss(c, p.data(), 0.4, 7, 3)), bits(trial_loss(c, drawn.data(), 0.4)))
          << loss_name(loss) << ", minibatch " << b;
    }
  }
  EXPECT_NE(minibatch_point(42, 7, 3, 0, 1000), minibatch_point(42, 8, 3, 0, 1000));
  EXPECT_NE(minibatch_point(42, 7, 3, 0, 1000), minibatch_point(42, 7, 4, 0, 1000));
  EXPECT_NE(minibatch_point(42, 7, 3, 0, 1000), minibatch_point(43, 7, 3, 0, 1000));
  // 10 points, 100000 draws: chi-square with 9 degrees of freedom, below its 0.999 quantile (27.9).
  std::int64_t counts[10] = {};
  for (std::int64_t k = 0; k < 100000; ++k)
    ++counts[minibatch_point(1, k / 16, static_cast<std::int32_t>(k % 16), k % 5, 10)];
  double chi2 = 0;
  for (std::int64_t n : counts)
    chi2 += (static_cast<double>(n) - 10000.0) * (static_cast<double>(n) - 10000.0) / 10000.0;
  EXPECT_LT(chi2, 27.9);
}

} // namespace
} // namespace lrf::test
