/*
 * cmlp is a Lockstep task in C, written directly against the host ABI (guest/ABI.md) with
 * wasi-libc: a one-hidden-layer MLP (tanh) that learns whether a point of the plane lies
 * inside a circle, trained with AdamW on a fresh batch every step. The host draws the
 * batch from (seed, step), so it needs no state: everything that changes between steps is
 * in the registered tensors. Build, from the repository root (testdata_test.go checks that
 * cmlp.wasm is byte for byte what this gives):
 *
 *   clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 -Wl,--strip-all \
 *       -o testdata/tasks/cmlp/cmlp.wasm testdata/tasks/cmlp/main.c
 *
 * with clang 14 and wasi-libc (Debian and Ubuntu: apt-get install clang lld wasi-libc
 * libclang-rt-dev-wasm32). --strip-all drops the debug sections of wasi-libc, which name
 * the paths it was built in, and the producers section, which names the compiler.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define IMPORT(name) __attribute__((import_module("lockstep"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("last_error") int32_t last_error(char *buf, int32_t cap, uint32_t *len);
IMPORT("tensor_new") int32_t tensor_new(int32_t dtype, const int32_t *shape, int32_t rank, const void *data, int32_t len, int32_t *out);
IMPORT("tensor_zeros") int32_t tensor_zeros(int32_t dtype, const int32_t *shape, int32_t rank, int32_t *out);
IMPORT("tensor_read") int32_t tensor_read(int32_t h, void *buf, int32_t len);
IMPORT("tensor_free_many") int32_t tensor_free_many(const int32_t *hs, int32_t n);
IMPORT("op") int32_t op(int32_t code, const int32_t *in, int32_t n_in, const uint32_t *attrs, int32_t n_attrs, int32_t *out, int32_t out_cap, int32_t *n_out);
IMPORT("state_register") int32_t state_register(const char *name, int32_t len, int32_t h);
IMPORT("metric") int32_t metric(const char *name, int32_t len, double v);

/* Dtypes and opcodes from guest/ABI.md. */
enum { F32 = 1, I32 = 2 };
enum {
	MATMUL = 1, MATMUL_BACKWARD = 2, ADD = 3, REDUCE_TO = 11, TANH = 17, TANH_BACKWARD = 25,
	CROSS_ENTROPY = 33, CROSS_ENTROPY_BACKWARD = 34, ARGMAX = 43, NORMAL = 53, ADAMW = 57,
};
enum { DIM = 2, HIDDEN = 16, CLASSES = 2, BATCH = 128, EVAL = 1024 };
#define R2 1.3862944f /* 2 ln 2: half of N(0, I) in the plane lies inside this squared radius */

/* ARGS and ATTRS pass an array and its length; NOATTRS passes none. */
#define ARGS(...) (const int32_t[]){__VA_ARGS__}, (int32_t)(sizeof((int32_t[]){__VA_ARGS__}) / 4)
#define ATTRS(...) (const uint32_t[]){__VA_ARGS__}, (int32_t)(sizeof((uint32_t[]){__VA_ARGS__}) / 4)
#define NOATTRS 0, 0

static uint64_t seed;
static int32_t status; /* the first failure: later host calls are skipped, and the instance ends */

/* The parameters and AdamW's moments, registered as state. A restore replaces their
 * contents and keeps their handles, so these stay valid. */
static int32_t param[4], m[4], v[4];
static const char *const names[4] = {"w1", "b1", "w2", "b2"};

/* This call's temporaries (a step makes 17). The host frees nothing at the end of a call:
 * a handle lives until it is freed, and 65,536 live handles are the limit. */
static int32_t temp[32];
static int32_t ntemp;

/* check records the first failure and prints the host's message to stderr, which the
 * host quotes in the error of the failing call. */
static int check(int32_t st) {
	if (st != 0 && status == 0) {
		char msg[256];
		uint32_t n = 0;
		status = st;
		last_error(msg, sizeof msg, &n);
		fprintf(stderr, "cmlp: status %d: %.*s\n", (int)st, (int)(n < sizeof msg ? n : sizeof msg), msg);
	}
	return status == 0;
}

static int32_t temporary(int32_t h) {
	if (ntemp == sizeof temp / sizeof temp[0])
		__builtin_trap(); /* a bug in this file: temp is too small */
	temp[ntemp++] = h;
	return h;
}

/* run calls an operator and returns its first output; a second one goes to *second. All
 * are temporaries. */
static int32_t run(int32_t code, const uint32_t *attrs, int32_t n_attrs, const int32_t *in, int32_t n_in, int32_t *second) {
	int32_t out[2] = {0, 0}, n_out = 0;
	if (status != 0 || !check(op(code, in, n_in, attrs, n_attrs, out, 2, &n_out)))
		return 0;
	for (int32_t k = 0; k < n_out; k++)
		temporary(out[k]);
	if (second)
		*second = out[1];
	return out[0];
}

static uint32_t f32bits(float f) {
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

/* normal draws a rows × cols tensor of N(0, std²) from the host's counter-based RNG: the
 * draw is a function of (seed, stream, offset) alone. */
static int32_t normal(uint32_t stream, uint64_t offset, float std, int32_t rows, int32_t cols) {
	return run(NORMAL, ATTRS((uint32_t)seed, (uint32_t)(seed >> 32), stream, 0, (uint32_t)offset, (uint32_t)(offset >> 32), 0, f32bits(std), rows, cols), NULL, 0, NULL);
}

/* labels reads n points back and returns their classes: 1 inside the circle, 0 outside. */
static int32_t labels(int32_t x, int32_t n) {
	static float p[EVAL * DIM];
	static int32_t y[EVAL];
	int32_t h = 0;
	if (status != 0 || !check(tensor_read(x, p, n * DIM * 4)))
		return 0;
	for (int32_t i = 0; i < n; i++)
		y[i] = p[2 * i] * p[2 * i] + p[2 * i + 1] * p[2 * i + 1] < R2;
	return check(tensor_new(I32, (const int32_t[]){n}, 1, y, n * 4, &h)) ? temporary(h) : 0;
}

/* end frees this call's temporaries and returns its status. */
static int32_t end(void) {
	if (ntemp > 0)
		check(tensor_free_many(temp, ntemp));
	ntemp = 0;
	return status;
}

static void report(const char *name, double x) {
	if (status == 0)
		check(metric(name, strlen(name), x));
}

static void state(const char *prefix, const char *name, int32_t h) {
	char full[32];
	int n = snprintf(full, sizeof full, "%s%s", prefix, name);
	if (status == 0)
		check(state_register(full, n, h));
}

EXPORT("lockstep_abi_version") int32_t abi_version(void) { return 1; }

EXPORT("lockstep_init") int32_t init(int64_t s) {
	static const int32_t shapes[4][2] = {{DIM, HIDDEN}, {HIDDEN}, {HIDDEN, CLASSES}, {CLASSES}};
	seed = (uint64_t)s;
	status = 0;
	/* stdout is not a terminal, so wasi-libc would hold every line after the first until
	 * 1 KiB had gathered. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	param[0] = normal(2, 0, 0.7f, DIM, HIDDEN);     /* w1 ~ N(0, 1/fan_in) */
	param[2] = normal(3, 0, 0.25f, HIDDEN, CLASSES); /* w2 */
	ntemp = 0;                                       /* they are state, not temporaries */
	for (int i = 0; i < 4; i++) {
		int32_t rank = i % 2 ? 1 : 2;
		if (i % 2 == 1 && status == 0)
			check(tensor_zeros(F32, shapes[i], rank, &param[i]));
		if (status == 0)
			check(tensor_zeros(F32, shapes[i], rank, &m[i]));
		if (status == 0)
			check(tensor_zeros(F32, shapes[i], rank, &v[i]));
		state("", names[i], param[i]);
		state("adam/m/", names[i], m[i]);
		state("adam/v/", names[i], v[i]);
	}
	if (status == 0)
		printf("cmlp: seed %llu, a %d-%d-%d MLP, batches of %d\n", (unsigned long long)seed, DIM, HIDDEN, CLASSES, BATCH);
	return status;
}

/* forward returns the logits for the points x, and the hidden activations in *z. */
static int32_t forward(int32_t x, int32_t *z) {
	int32_t xw = run(MATMUL, ATTRS(0, 0), ARGS(x, param[0]), NULL);
	int32_t a = run(ADD, NOATTRS, ARGS(xw, param[1]), NULL);
	*z = run(TANH, NOATTRS, ARGS(a), NULL);
	int32_t zw = run(MATMUL, ATTRS(0, 0), ARGS(*z, param[2]), NULL);
	return run(ADD, NOATTRS, ARGS(zw, param[3]), NULL);
}

EXPORT("lockstep_step") int32_t step(int64_t i) {
	static const float one = 1;
	int32_t x = normal(1, (uint64_t)i * BATCH, 1, BATCH, DIM); /* BATCH counters per batch */
	int32_t y = labels(x, BATCH), z, g = 0, dw2 = 0, dw1 = 0;
	int32_t logits = forward(x, &z);
	int32_t loss = run(CROSS_ENTROPY, NOATTRS, ARGS(logits, y), NULL);
	if (status == 0 && check(tensor_new(F32, NULL, 0, &one, 4, &g)))
		temporary(g);
	int32_t dlogits = run(CROSS_ENTROPY_BACKWARD, NOATTRS, ARGS(logits, y, g), NULL);
	int32_t dz = run(MATMUL_BACKWARD, ATTRS(0, 0), ARGS(z, param[2], dlogits), &dw2);
	int32_t db2 = run(REDUCE_TO, ATTRS(CLASSES), ARGS(dlogits), NULL);
	int32_t da = run(TANH_BACKWARD, NOATTRS, ARGS(z, dz), NULL);
	run(MATMUL_BACKWARD, ATTRS(0, 0), ARGS(x, param[0], da), &dw1); /* dx, dw1 */
	int32_t db1 = run(REDUCE_TO, ATTRS(HIDDEN), ARGS(da), NULL);
	const int32_t grads[4] = {dw1, db1, dw2, db2};
	for (int k = 0; k < 4; k++) /* step u64, lr, beta1, beta2, eps, weight decay */
		run(ADAMW, ATTRS((uint32_t)i, (uint32_t)((uint64_t)i >> 32), f32bits(0.05f), f32bits(0.9f), f32bits(0.999f), f32bits(1e-8f), f32bits(1e-4f)),
		    ARGS(param[k], grads[k], m[k], v[k]), NULL);
	float l = 0;
	if (status == 0)
		check(tensor_read(loss, &l, 4));
	report("loss", l);
	if (status == 0 && i % 50 == 0)
		printf("cmlp: step %lld, loss %.4f\n", (long long)i, l);
	return end();
}

EXPORT("lockstep_eval") int32_t eval(void) {
	static int32_t got[EVAL], want[EVAL];
	int32_t x = normal(4, 0, 1, EVAL, DIM), y = labels(x, EVAL), z;
	int32_t logits = forward(x, &z);
	int32_t pred = run(ARGMAX, NOATTRS, ARGS(logits), NULL);
	if (status == 0 && check(tensor_read(pred, got, sizeof got)))
		check(tensor_read(y, want, sizeof want));
	int right = 0;
	for (int k = 0; k < EVAL; k++)
		right += got[k] == want[k];
	report("accuracy", (double)right / EVAL);
	return end();
}
