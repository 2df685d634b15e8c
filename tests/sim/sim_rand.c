/* cutover-sim: the pseudo-random numbers behind jitter and error rates.
 *
 * xoshiro256** seeded through splitmix64 (Blackman & Vigna): fast, good enough
 * for test traffic, and repeatable under --seed. The simulator links only libc
 * (the Makefile adds no -lm), so the normal draw avoids log/sqrt/cos. */
#include "sim.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t sim_rand_next(struct sim_rand *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

void sim_rand_seed(struct sim_rand *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

/* Uniform in [0, 1) from the top 53 bits. */
double sim_rand_uniform(struct sim_rand *r)
{
	return (double)(sim_rand_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Standard normal, approximated by the Irwin-Hall sum of 12 uniforms minus 6:
 * mean 0, variance 1, tails cut at 6 sigma — which is what a latency jitter
 * wants anyway, and it needs no libm. */
double sim_rand_normal(struct sim_rand *r)
{
	double sum = 0.0;
	for (int i = 0; i < 12; i++)
		sum += sim_rand_uniform(r);
	return sum - 6.0;
}
