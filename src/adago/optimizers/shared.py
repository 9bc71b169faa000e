"""Kernels every optimiser family shares: shuffling, prediction, residuals, the objective, and the
full-batch gradient and Gauss-Newton diagonal.

Plain ``@njit`` functions over NumPy arrays; :mod:`adago.training` validates inputs, chooses
dtypes and allocates every array once, so no kernel allocates inside its loops. Scalars are passed
already cast to the factor dtype so float32 runs stay in float32 arithmetic (and vectorise).

Packed state: U (n_users, S, R') holds for each user the factor row p_u (slot 0) followed by its
optimiser state (slots 1..S-1, defined by the family); V (n_items, S, R') likewise for q_i;
BU (n_users, S) and BV (n_items, S) the same for biases (0 rows without biases). Keeping a row's
parameters and state adjacent makes each per-rating step touch two contiguous blocks of memory
instead of six scattered rows (about 1.4x faster). R' is the stored rank: R itself, or R padded with
zero columns (padded_rank) for the families whose per-rating pass updates whole rows; the factors
are P = U[:, 0, :R], Q = V[:, 0, :R], and every sum over the rank stops at R.
One training rating is the triple (users[n], items[n], ratings[n]);
residual e = r - (mu + b_u + b_i + p_u . q_i).

Per-rating kernels run sequentially (bit-reproducible whatever the thread count). Full-batch and
evaluation kernels use ``prange`` only where each iteration writes its own output (rows via
CSR/CSC, or one prediction per rating): no atomics, no reductions across threads, so the result
does not depend on the number of threads either.

Equations and the reasons behind each choice: docs/METHODS.md.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from llvmlite.binding import llvm_version_info
from numba import njit, prange, types
from numba.core import cgutils
from numba.core import config as numba_config
from numba.extending import intrinsic

# Numba options of every kernel. cache=True writes to NUMBA_CACHE_DIR when set (Numba reads it itself).
JIT = {
    "cache": True,
    "nogil": True,
    # numpy error model: x/0 gives inf/nan (caught as divergence) instead of a Python
    # ZeroDivisionError check inside every loop, which blocks SIMD vectorisation (3-4x slower).
    "error_model": "numpy",
    # Reassociation lets the rank-R dot product vectorise; no 'nnan'/'ninf', so NaN/inf still
    # propagate and divergence detection stays reliable. Results remain bit-reproducible for a
    # given machine and Numba build.
    "fastmath": {"reassoc", "contract", "nsz"},
}


# ---------------------------------------------------------------------------------- prefetching
# How many ratings ahead a per-rating pass asks for the rows it will update. With the rows of
# 70k users out of L2, prefetching cut SGD's pass at 10M ratings from 55-68 to 20-22 ns per rating
# and AdaGO's from 220-246 to 95-108 (under load); distances 4 and 16 were no better than 8. At 1M
# ratings it costs instead (PREFETCH_MIN_BYTES, PREFETCH_MIN_ROWS).
PREFETCH_DISTANCE = 8
_CACHE_LINE = 64
# Below this many bytes of U and V together the passes do not prefetch: measured on ML-1M-shaped data
# (0.8 MB of plain SGD rows), prefetching made plain SGD's pass 2.2x slower (36 against 16 ns per
# rating, idle), where every row already sits in L2/L3; Adam's 2.4 MB were unaffected either way.
PREFETCH_MIN_BYTES = 4 << 20
# Nor below this many rows of U and V together, however wide they are: at ML-1M size (10k rows)
# prefetching never paid at ranks 20-100 (momentum SGD 1.1-1.35x slower with it, Adam within noise;
# idle, 5ce0363), while at ML-10M size (80k rows) it made every method 1.3-2.5x faster at rank 20.
# Where between the two it starts to pay was too noisy to tell (at 32k rows Adam gained, momentum SGD
# lost); 2^14 keeps the measured sizes on their measured sides.
PREFETCH_MIN_ROWS = 1 << 14
# The intrinsic's name carries its pointer type: "p0" with LLVM 15+'s opaque pointers (llvmlite
# >= 0.44), "p0i8" before (numba 0.59-0.60 ship LLVM 14).
_PREFETCH_NAME = "llvm.prefetch.p0" if llvm_version_info[0] >= 15 else "llvm.prefetch.p0i8"


def _prefetch_hint(arr, row, offset):
    """prefetch without Numba (NUMBA_DISABLE_JIT=1, e.g. the mutation tests' pure-Python stage):
    a cache hint has nothing to do in Python, and an intrinsic cannot be called there."""


@intrinsic
def _prefetch_intrinsic(typingctx, arr, row, offset):
    """llvm.prefetch (for writing, keep in all cache levels) of the byte at ``offset`` bytes
    from the start of arr[row] (the first element of that first-dimension row)."""
    if not (isinstance(arr, types.Array) and isinstance(row, types.Integer)
            and isinstance(offset, types.Integer)):
        return None
    sig = types.void(arr, row, offset)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        zero = context.get_constant(types.intp, 0)
        inds = [context.cast(builder, args[1], signature.args[1], types.intp)]
        inds += [zero] * (aryty.ndim - 1)
        ptr = cgutils.get_item_pointer2(
            context, builder, data=ary.data, shape=cgutils.unpack_tuple(builder, ary.shape),
            strides=cgutils.unpack_tuple(builder, ary.strides), layout=aryty.layout, inds=inds,
            wraparound=False, boundscheck=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        addr = builder.gep(builder.bitcast(ptr, i8p),
                           [context.cast(builder, args[2], signature.args[2], types.intp)])
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), _PREFETCH_NAME)
        builder.call(fn, [addr, i32(1), i32(3), i32(1)])  # write, high locality, data cache
        return context.get_dummy_value()

    return sig, codegen


prefetch = _prefetch_hint if numba_config.DISABLE_JIT else _prefetch_intrinsic


@njit(inline="always", **JIT)
def prefetch_row(arr, row):
    """Ask for every cache line of arr[row] (a row need not start on a line boundary)."""
    nbytes = arr.strides[0]
    for offset in range(0, nbytes, _CACHE_LINE):
        prefetch(arr, row, offset)
    prefetch(arr, row, nbytes - 1)


@njit(inline="always", **JIT)
def prefetch_pays(U, V):
    """Whether a pass over U and V should prefetch (PREFETCH_MIN_BYTES or more of rows, and
    PREFETCH_MIN_ROWS or more rows).

    Each family's epoch kernel tests this once and runs one of two inlined copies of its pass, with
    prefetching a compile-time True or False: a runtime flag tested inside the loop kept plain SGD's
    pass at 1M ratings 2.1x slower even when switched off (38 against 18 ns per rating)."""
    return ((U.size + V.size) * U.itemsize >= PREFETCH_MIN_BYTES
            and U.shape[0] + V.shape[0] >= PREFETCH_MIN_ROWS)


@njit(inline="always", **JIT)
def prefetch_ahead(users, items, n, U, V):
    """Ask for the rows U[u], V[i] of the rating PREFETCH_DISTANCE places after rating n, so
    that they arrive while ratings n..n+PREFETCH_DISTANCE-1 are updated. A hint: no result
    changes. Returns that rating's (u, i), or (-1, -1) past the end."""
    m = n + PREFETCH_DISTANCE
    if m >= users.shape[0]:
        return -1, -1
    u = users[m]
    i = items[m]
    prefetch_row(U, u)
    prefetch_row(V, i)
    return u, i


# ---------------------------------------------------------------------------------- padding
# A per-rating pass updates a row in one loop over k that LLVM vectorises 8 float32 (AVX2) lanes
# wide, ending in scalar iterations for the rest: at R = 20, 4 of them. Measured on the ML-1M-shaped
# matrix (CPU ns per rating, padded / not, epochs in turn, the run in docs/METHODS.md section 8):
# at R = 20 momentum SGD 31.8 / 37.9, Adam 59.4 / 79.4, AdaGO 62.8 / 85.1 (bench/padding_speed.py;
# plain SGD gained nothing and pads no row). Below R = 5 the padding costs more memory than the
# scalar iterations did (R = 3: 1.08-1.23x slower), so those rows stay as they are.
# The padded factor columns stay zero (with Adam's eps = 0 they become 0/0 = NaN); nothing reads
# them but the update loop: prediction, the objective and the parameters a run returns stop at R, so
# no result changes (each lane does the same arithmetic, vector or scalar; tests/test_rank_padding.py
# checks it bit for bit, with NaN in the padding).
RANK_BLOCK = 8


# U and V start on a cache line. NumPy's allocator promises 16 bytes, and what it returned moved from
# array to array (0, 16 or 48 bytes past a line in one benchmark process), so a row's cache lines did
# too: a momentum-SGD row (2 x 24 float32, 192 bytes) is three lines when U starts on one and four
# for most rows 16 bytes past one; Adam's rows (3 x 24, 288 bytes) five, against five or six. At
# ML-1M shape, rank 20, on a line against 16 bytes past one (bench of 2026-11-28, three runs, epochs in
# turn, CPU ns per rating): momentum SGD 30.7-32.1 against 32.5-33.8, Adam 60.0-62.3 against
# 62.8-65.4, AdaGO 62.2 against 65.0-65.7; plain SGD (80-byte rows) within noise. It also stops a
# run's speed from depending on where the allocator put its rows.
def aligned_zeros(shape, dtype) -> np.ndarray:
    """np.zeros(shape, dtype) whose first element starts on a _CACHE_LINE boundary."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    buf = np.zeros(nbytes + _CACHE_LINE, np.uint8)
    start = -buf.ctypes.data % _CACHE_LINE
    return buf[start:start + nbytes].view(dtype).reshape(shape)


def padded_rank(rank: int) -> int:
    """The stored rank of a padded packed row: rank rounded up to a multiple of RANK_BLOCK, or
    rank itself up to RANK_BLOCK / 2."""
    rank = int(rank)
    if rank <= RANK_BLOCK // 2:
        return rank
    return -(-rank // RANK_BLOCK) * RANK_BLOCK


# ---------------------------------------------------------------------------------- shuffling
@njit(**JIT)
def splitmix64(state):
    """One step of SplitMix64 (Steele et al. 2014); ``state`` is a uint64 array of length 1."""
    state[0] += np.uint64(0x9E3779B97F4A7C15)
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(**JIT)
def _below(bound, state):
    """Uniform integer in [0, bound) for 1 <= bound < 2^32: Lemire's multiply-shift with rejection
    (exactly uniform; the rare rejection test replaces a 64-bit modulo on every draw)."""
    s = np.uint64(bound)
    m = (splitmix64(state) >> np.uint64(32)) * s
    low = m & np.uint64(0xFFFFFFFF)
    if low < s:
        threshold = (np.uint64(1 << 32) - s) % s
        while low < threshold:
            m = (splitmix64(state) >> np.uint64(32)) * s
            low = m & np.uint64(0xFFFFFFFF)
    return np.int64(m >> np.uint64(32))


@njit(**JIT)
def fisher_yates(users, items, ratings, state):
    """Fisher-Yates shuffle of the three arrays together, in place, from the seeded ``state``.

    Requires fewer than 2^32 ratings. Each swap is a random access into the whole arrays, which
    is what makes it slow once they outgrow the caches (see shuffle_triples).
    """
    n = users.shape[0]
    for k in range(n - 1, 0, -1):
        j = _below(k + 1, state)
        tu = users[k]
        users[k] = users[j]
        users[j] = tu
        ti = items[k]
        items[k] = items[j]
        items[j] = ti
        tr = ratings[k]
        ratings[k] = ratings[j]
        ratings[j] = tr


# Draws the look-ahead Fisher-Yates makes before their swap (a power of two). The draws do not depend
# on the data, so they can be made early and their records prefetched. At 900k ratings, under load:
# 4 and 8 ahead took 11.8 and 9.0 ns per rating, 16 7.6, 32 and 64 7.5 and 7.0 (within noise).
FY_LOOKAHEAD = 16
# From this many ratings on, shuffle_triples' Fisher-Yates runs on packed records with look-ahead
# (fisher_yates_packed). Measured against fisher_yates, both under load: 0.83x the time at 2^19
# ratings, 0.67x at 900k, 0.57x at 2^20; at 2^18 (3 MB of triples, mostly in L2) 1.06x.
FY_PACKED_MIN = 1 << 19


@njit(**JIT)
def fisher_yates_packed(users, items, ratings, state, packed):
    """fisher_yates: the same permutation and the same final ``state``, faster on arrays that
    outgrow L2. Two changes, neither of which touches the random stream:

    - the triples are copied into ``packed`` (n records (u, i, r), see shuffle_scratch) and back,
      so that a swap touches one record instead of three arrays at three random places;
    - each swap's index is drawn FY_LOOKAHEAD swaps early, in the same order from the same stream
      (the draws depend only on ``state`` and k), and its record prefetched, so that the cache
      misses of consecutive swaps overlap instead of queueing.
    Requires fewer than 2^32 ratings."""
    n = users.shape[0]
    for k in range(n):
        packed[k]["u"] = users[k]
        packed[k]["i"] = items[k]
        packed[k]["r"] = ratings[k]
    mask = FY_LOOKAHEAD - 1
    ring = np.empty(FY_LOOKAHEAD, np.int64)
    ahead = n - 1  # the next k whose index is drawn
    for t in range(min(FY_LOOKAHEAD, n - 1)):
        j = _below(ahead + 1, state)
        ring[t] = j
        prefetch(packed, j, 0)
        ahead -= 1
    t = 0
    for k in range(n - 1, 0, -1):
        j = ring[t & mask]
        if ahead > 0:
            jn = _below(ahead + 1, state)
            ring[t & mask] = jn
            prefetch(packed, jn, 0)
            ahead -= 1
        t += 1
        tu = packed[k]["u"]
        ti = packed[k]["i"]
        tr = packed[k]["r"]
        packed[k]["u"] = packed[j]["u"]
        packed[k]["i"] = packed[j]["i"]
        packed[k]["r"] = packed[j]["r"]
        packed[j]["u"] = tu
        packed[j]["i"] = ti
        packed[j]["r"] = tr
    for k in range(n):
        users[k] = packed[k]["u"]
        items[k] = packed[k]["i"]
        ratings[k] = packed[k]["r"]


# Ratings per bucket of the bucketed shuffle, on average: one packed rating is 12 bytes (16 at
# float64), so a bucket is about 384 KB and its Fisher-Yates stays within a 512 KB L2 cache.
# Measured at 10M and 25M ratings under load: buckets of 2^14 to 2^16 ratings on average were
# equally fast (within noise), 2^17 was 1.2x and 2^18 1.8x slower.
SHUFFLE_BUCKET = 1 << 15
MAX_BUCKET_BITS = 16  # bucket numbers are 16-bit fields of the random stream


# Up to this many ratings (12 MB of triples, within the 32 MB L3 cache) plain Fisher-Yates is as fast
# or faster: at 100k ratings 4.7 against 12.3 ns per rating, at 300k 12.3 against 16.8, at 1M
# 20.5 against 13.3 under load. Below it the shuffle, and so every result, is unchanged.
FISHER_YATES_MAX = 1 << 20


def bucket_bits(n: int) -> int:
    """log2 of the number of buckets shuffle_triples uses for n ratings: 0 (plain Fisher-Yates)
    up to FISHER_YATES_MAX, beyond that the fewest that make the average bucket at most
    SHUFFLE_BUCKET ratings."""
    if n <= FISHER_YATES_MAX:
        return 0
    bits = 0
    while (n >> bits) > SHUFFLE_BUCKET and bits < MAX_BUCKET_BITS:
        bits += 1
    return bits


@njit(**JIT)
def bucket_shuffle(users, items, ratings, state, packed, bucket, bits):
    """Uniformly random permutation of the triples, in place, through 2^bits buckets.

    Scratch (shuffle_scratch): ``packed``, n records (u, i, r); ``bucket``, n uint16.
    1. Every rating draws its bucket independently and uniformly (a ``bits``-bit field of the
       stream, four per 64-bit draw); the bucket sizes are counted.
    2. Each rating is copied, as one packed (user, item, rating) record, to the next free slot of
       its bucket in ``packed``, the buckets one after another: 2^bits sequential write streams
       (one record per stream, not three, is what makes this step cheap).
    3. Each bucket is permuted uniformly on its way back into the arrays by Durstenfeld's
       "inside-out" Fisher-Yates (slot k draws a uniform j <= k, the element at j moves to k and
       the new one goes to j); its random accesses stay within the bucket, which fits in cache.
    Exactly uniform over all n! orders (argument in docs/METHODS.md, "One epoch").
    """
    n = users.shape[0]
    nb = 1 << bits
    start = np.zeros(nb + 1, np.int64)
    field = np.uint64((1 << bits) - 1)
    top = np.uint64(16 - bits)
    z = np.uint64(0)
    for k in range(n):
        if (k & 3) == 0:
            z = splitmix64(state)
        b = (z >> (np.uint64(16 * (k & 3)) + top)) & field
        bucket[k] = b
        start[b + 1] += 1
    for b in range(nb):
        start[b + 1] += start[b]
    fill = start[:nb].copy()
    for k in range(n):
        p = fill[bucket[k]]
        fill[bucket[k]] = p + 1
        packed[p]["u"] = users[k]
        packed[p]["i"] = items[k]
        packed[p]["r"] = ratings[k]
    # Step 3: 32-bit draws for Lemire's bounded integer (as _below), two per 64-bit output.
    spare = np.uint64(0)
    have = False
    mask = np.uint64(0xFFFFFFFF)
    for b in range(nb):
        lo = start[b]
        for k in range(start[b + 1] - lo):
            p = lo + k
            j = p
            if k > 0:
                s = np.uint64(k + 1)
                while True:
                    if have:
                        x = spare
                        have = False
                    else:
                        d = splitmix64(state)
                        x = d >> np.uint64(32)
                        spare = d & mask
                        have = True
                    m = x * s
                    low = m & mask
                    # Lemire (2019): reject the few x that would favour small j
                    if low >= s or low >= (np.uint64(1 << 32) - s) % s:
                        break
                j = lo + np.int64(m >> np.uint64(32))
            users[p] = users[j]
            items[p] = items[j]
            ratings[p] = ratings[j]
            users[j] = packed[p]["u"]
            items[j] = packed[p]["i"]
            ratings[j] = packed[p]["r"]


def shuffle_scratch(n: int, rating_dtype) -> tuple[np.ndarray, np.ndarray]:
    """Scratch space of bucket_shuffle and fisher_yates_packed for n ratings: (packed records,
    bucket numbers), (12 + 2) bytes per rating at float32, (16 + 2) at float64."""
    record = np.dtype([("u", np.int32), ("i", np.int32), ("r", rating_dtype)])
    return np.empty(n, record), np.empty(n, np.uint16)


def needs_scratch(n: int) -> bool:
    """Whether shuffle_triples uses scratch space for n ratings (otherwise it shuffles in place)."""
    return n >= FY_PACKED_MIN or bucket_bits(n) > 0


def shuffle_triples(users, items, ratings, state, scratch=None) -> None:
    """Uniformly random permutation of the three arrays together, in place, from the seeded
    ``state`` (uint64 array of length 1, advanced): the reshuffle of every per-rating epoch.

    Up to FISHER_YATES_MAX ratings Fisher-Yates (from FY_PACKED_MIN on, fisher_yates_packed: the
    same permutation, faster); beyond, bucket_shuffle with 2^bucket_bits(n) buckets, whose random
    accesses stay in cache. users and items are int32, ratings float32 or float64 (as training
    holds them). ``scratch``: shuffle_scratch(n, ...), allocated here if None and needed (a
    training run passes its own so as not to allocate every epoch). Requires fewer than 2^32
    ratings.
    """
    n = users.shape[0]
    if not needs_scratch(n):
        fisher_yates(users, items, ratings, state)
        return
    if users.dtype != np.int32 or items.dtype != np.int32:
        raise TypeError("shuffle_triples: users and items must be int32 arrays")
    if scratch is None:
        scratch = shuffle_scratch(n, ratings.dtype)
    bits = bucket_bits(n)
    if bits == 0:
        fisher_yates_packed(users, items, ratings, state, scratch[0])
    else:
        bucket_shuffle(users, items, ratings, state, scratch[0], scratch[1], bits)


# ---------------------------------------------------------------------------------- prediction
@njit(**JIT)
def _predict(a, b, bu, bi, u, i, mu, use_bias, rank):
    """mu [+ b_u + b_i] + p_u . q_i for packed rows a = U[u], b = V[i] (slot 0 = factors, the
    first ``rank`` columns)."""
    pred = mu
    if use_bias:
        pred += bu[u, 0] + bi[i, 0]
    for k in range(rank):
        pred += a[0, k] * b[0, k]
    return pred


# ---------------------------------------------------------------------------------- full batch
@njit(**JIT, parallel=True)
def residuals(users, items, ratings, U, V, BU, BV, mu, use_bias, out):
    """out[n] = r_n - (mu [+ b_u + b_i] + p_u . q_i) for every rating (one writer each).
    Full-batch rows are never padded, so the rank is U.shape[2]."""
    for n in prange(users.shape[0]):
        u = users[n]
        i = items[n]
        out[n] = ratings[n] - _predict(U[u], V[i], BU, BV, u, i, mu, use_bias, U.shape[2])


@njit(**JIT, parallel=True)
def full_gradient_rows(indptr, order, other_idx, resid, Y, X, b, reg, curv, damping, G, D, gb, db,
                       use_bias):
    """Full-batch gradient and Gauss-Newton diagonal for the rows of one factor matrix.

    Y = U[:, 0, :] (or V[:, 0, :]) are this side's factors, X the other side's, b this side's
    biases. Row y has the ratings order[indptr[y]:indptr[y+1]] (CSR for users, CSC for items);
    x_n = X[other_idx[n]] is the other factor of rating n and e_n its residual:
      G[y]  = sum_n (-e_n x_n) + reg * n_y * Y[y]
      D[y]  = sum_n x_n^2 + curv * n_y + damping          (curv = reg if reg in curvature, else 0)
      gb[y] = sum_n (-e_n) + reg * n_y * b[y] ;  db[y] = n_y (1 + curv) + damping
    Each thread owns whole rows, so the sums are sequential and thread-count independent.
    """
    R = Y.shape[1]
    for y in prange(Y.shape[0]):
        start = indptr[y]
        stop = indptr[y + 1]
        cnt = Y.dtype.type(stop - start)
        for k in range(R):
            G[y, k] = 0.0
            D[y, k] = 0.0
        sum_e = Y.dtype.type(0.0)
        for p in range(start, stop):
            n = order[p]
            e = resid[n]
            x = other_idx[n]
            sum_e += e
            for k in range(R):
                xk = X[x, k]
                G[y, k] -= e * xk
                D[y, k] += xk * xk
        for k in range(R):
            G[y, k] += reg * cnt * Y[y, k]
            D[y, k] += curv * cnt + damping
        if use_bias:
            gb[y] = reg * cnt * b[y] - sum_e
            db[y] = cnt * (Y.dtype.type(1.0) + curv) + damping


def row_index(idx: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(indptr, order): row y's ratings are order[indptr[y]:indptr[y+1]], in their input order
    (a stable sort), for idx = the user (CSR) or item (CSC) of every rating."""
    order = np.argsort(idx, kind="stable").astype(np.int64)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(idx, minlength=n_rows))]).astype(np.int64)
    return indptr, order


class FullBatch:
    """Gradient and Gauss-Newton diagonal of L(all training ratings) for every parameter row.

    Built once per run from the training triples (a full-batch run never reshuffles them);
    ``gradient`` fills the buffers at the current point and returns the parameter blocks with
    them: (packed block (rows, S, R'), gradient (rows, R'), GN diagonal (rows, R')) for P, Q and,
    with biases, b_u and b_i (viewed as R' = 1). Memory: 2 x (|I| + |J|) x R for G and D.
    """

    def __init__(self, train, n_users: int, n_items: int, rank: int, dtype, use_bias: bool):
        users, items, _ = train
        self.ptr_u, self.order_u = row_index(users, n_users)
        self.ptr_i, self.order_i = row_index(items, n_items)
        self.resid = np.empty(len(users), dtype)
        self.GP, self.DP = np.zeros((n_users, rank), dtype), np.zeros((n_users, rank), dtype)
        self.GQ, self.DQ = np.zeros((n_items, rank), dtype), np.zeros((n_items, rank), dtype)
        nb_u, nb_i = (n_users, n_items) if use_bias else (0, 0)
        self.gbu, self.dbu = np.zeros(nb_u, dtype), np.zeros(nb_u, dtype)
        self.gbi, self.dbi = np.zeros(nb_i, dtype), np.zeros(nb_i, dtype)

    def gradient(self, train, U, V, BU, BV, mu, reg, curv, damping, use_bias) -> list[tuple]:
        """Fill G and D at the current parameters (see full_gradient_rows); scalars in the dtype."""
        users, items, ratings = train
        residuals(users, items, ratings, U, V, BU, BV, mu, use_bias, self.resid)
        full_gradient_rows(self.ptr_u, self.order_u, items, self.resid, U[:, 0, :], V[:, 0, :],
                           BU[:, 0], reg, curv, damping, self.GP, self.DP, self.gbu, self.dbu, use_bias)
        full_gradient_rows(self.ptr_i, self.order_i, users, self.resid, V[:, 0, :], U[:, 0, :],
                           BV[:, 0], reg, curv, damping, self.GQ, self.DQ, self.gbi, self.dbi, use_bias)
        # 2-D views throughout: a bias block is (rows, S, 1).
        blocks = [(U, self.GP, self.DP), (V, self.GQ, self.DQ)]
        if use_bias:
            blocks += [(BU[:, None, :].transpose(0, 2, 1), self.gbu[:, None], self.dbu[:, None]),
                       (BV[:, None, :].transpose(0, 2, 1), self.gbi[:, None], self.dbi[:, None])]
        return blocks


# ---------------------------------------------------------------------------------- evaluation
@njit(**JIT, parallel=True)
def predict_into(users, items, U, V, BU, BV, mu, use_bias, rank, out):
    """out[n] = mu [+ b_u + b_i] + p_u . q_i over the first ``rank`` columns (unclipped; clipping
    happens in metrics)."""
    for n in prange(users.shape[0]):
        u = users[n]
        i = items[n]
        out[n] = _predict(U[u], V[i], BU, BV, u, i, mu, use_bias, rank)


@njit(**JIT)
def objective(ratings, pred, U, V, BU, BV, n_per_user, n_per_item, reg, use_bias, rank):
    """Full training objective L in float64, from the predictions of the training ratings.

    L = sum_n 1/2 (r_n - pred_n)^2 + reg/2 (sum_u n_u |p_u|^2 + sum_i n_i |q_i|^2
        [+ sum_u n_u b_u^2 + sum_i n_i b_i^2])
    which equals the per-instance sum of docs/METHODS.md (each rating carries its rows' penalty);
    the norms over the first ``rank`` columns.
    Float64 sums: free of float32 accumulation error; deterministic for a given build.
    """
    sq = 0.0
    for n in range(ratings.shape[0]):
        e = np.float64(ratings[n]) - np.float64(pred[n])
        sq += e * e
    return 0.5 * sq + 0.5 * reg * (_penalty(U, BU, n_per_user, use_bias, rank)
                                   + _penalty(V, BV, n_per_item, use_bias, rank))


@njit(**JIT)
def _penalty(U, BU, counts, use_bias, rank):
    """sum_rows counts[row] * (|U[row, 0, :rank]|^2 [+ BU[row, 0]^2]) in float64."""
    pen = 0.0
    for r in range(U.shape[0]):
        s = 0.0
        for k in range(rank):
            x = np.float64(U[r, 0, k])
            s += x * x
        if use_bias:
            x = np.float64(BU[r, 0])
            s += x * x
        pen += counts[r] * s
    return pen
