/* A seeded generator (xorshift64*): the same seed gives the same calls. */
#include "fuzz.h"

static uint64_t state = 1;

void rnd_seed(uint64_t s) { state = s ? s : 0x9e3779b97f4a7c15ULL; }

uint64_t rnd(void)
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dULL;
}

uint64_t rndn(uint64_t n) { return n ? rnd() % n : 0; }

int chance(int percent) { return (int)rndn(100) < percent; }

/* mix derives a child's seed from the run's seed and its number. */
uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t z = a + 0x9e3779b97f4a7c15ULL * (b + 1);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
