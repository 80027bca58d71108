"""Search kernels shared by the routing engines, compiled with numba: an array binary heap,
a Dijkstra search bounded by a cost limit, and the unpacking of packed (seconds, metres) costs."""

from __future__ import annotations

import numba as nb
import numpy as np

#: "No path": larger than any packed cost the engines produce.
INF = np.int64(1) << np.int64(60)

# --- a binary min-heap on arrays: keys int64, values int64 --------------------------------


@nb.njit(cache=True, nogil=True)
def _heap_push(keys, vals, size, key, val):
    i = size
    keys[i], vals[i] = key, val
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= keys[i]:
            break
        keys[parent], keys[i] = keys[i], keys[parent]
        vals[parent], vals[i] = vals[i], vals[parent]
        i = parent
    return size + 1


@nb.njit(cache=True, nogil=True)
def _heap_pop(keys, vals, size):
    key, val = keys[0], vals[0]
    size -= 1
    keys[0], vals[0] = keys[size], vals[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and keys[left + 1] < keys[left]:
            child = left + 1
        if keys[i] <= keys[child]:
            break
        keys[i], keys[child] = keys[child], keys[i]
        vals[i], vals[child] = vals[child], vals[i]
        i = child
    return key, val, size


@nb.njit(cache=True, parallel=True, nogil=True)
def split_packed(packed, bits, unreachable):
    """Seconds and metres of packed costs in one pass (``unreachable`` where ≥ :data:`INF`)."""
    n, m = packed.shape
    secs = np.empty((n, m), np.int64)
    metres = np.empty((n, m), np.int64)
    mask = (np.int64(1) << bits) - 1
    for i in nb.prange(n):
        for j in range(m):
            v = packed[i, j]
            if v >= INF:
                secs[i, j] = unreachable
                metres[i, j] = unreachable
            else:
                secs[i, j] = v >> bits
                metres[i, j] = v & mask
    return secs, metres


@nb.njit(cache=True, nogil=True)
def bounded_dijkstra(indptr, heads, weights, src_nodes, src_offs, limit):
    """Plain Dijkstra from several entries with offsets, settling nodes up to ``limit``;
    distances beyond it stay :data:`INF`. For one-to-many questions with a small radius (walking
    to nearby vehicles), cheaper than any hierarchy."""
    n = indptr.size - 1
    dist = np.full(n, INF, np.int64)
    keys = np.empty(heads.size + src_nodes.size + 1, np.int64)
    vals = np.empty(heads.size + src_nodes.size + 1, np.int64)
    size = 0
    for k in range(src_nodes.size):
        x, d0 = src_nodes[k], src_offs[k]
        if d0 < dist[x]:
            dist[x] = d0
            size = _heap_push(keys, vals, size, d0, x)
    while size > 0:
        d, u, size = _heap_pop(keys, vals, size)
        if d > dist[u]:
            continue
        if d > limit:
            break
        for a in range(indptr[u], indptr[u + 1]):
            x = heads[a]
            nd = d + weights[a]
            if nd < dist[x] and nd <= limit:
                dist[x] = nd
                size = _heap_push(keys, vals, size, nd, x)
    return dist
