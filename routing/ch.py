"""A contraction hierarchy with bucket many-to-many queries, compiled with numba.

Used for matrices on a network's base weights (no closure, no penalty), where it is several times
faster than the customizable hierarchy of :mod:`routing.engine`: its searches only climb to nodes
that matter (greedy edge-difference order with witness searches), so each source meets few target
buckets. Weights that change (closures, penalties) go to the customizable hierarchy instead, which
re-weights in milliseconds where this one would have to be rebuilt.

Algorithms: Geisberger, Sanders, Schultes and Delling, "Contraction Hierarchies: Faster and Simpler
Hierarchical Routing in Road Networks" (WEA 2008) for the contraction; Knopp, Sanders, Schultes,
Schulz and Wagner, "Computing Many-to-Many Shortest Paths Using Highway Hierarchies" (ALENEX 2007)
for the bucket scheme.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
from numpy.typing import NDArray

from routing.search import INF, _heap_pop, _heap_push

#: Witness searches stop after settling this many nodes (more: fewer shortcuts, slower build).
WITNESS_SETTLE_LIMIT = 60
SIMULATION_SETTLE_LIMIT = 30

# --- contraction ---------------------------------------------------------------------------


@nb.njit(cache=True, nogil=True)
def _witness(
    src,
    skip,
    limit,
    settle_limit,
    out_head,
    e_next_out,
    e_to,
    e_w,
    alive,
    contracted,
    dist,
    touched,
    hkeys,
    hvals,
):
    """Dijkstra from ``src`` avoiding ``skip`` and contracted nodes; fills ``dist``."""
    n_touched = 0
    dist[src] = 0
    touched[n_touched] = src
    n_touched += 1
    size = _heap_push(hkeys, hvals, 0, 0, src)
    settled = 0
    while size > 0:
        d, u, size = _heap_pop(hkeys, hvals, size)
        if d > dist[u]:
            continue
        if d > limit or settled >= settle_limit:
            break
        settled += 1
        a = out_head[u]
        while a >= 0:
            if alive[a]:
                x = e_to[a]
                if x != skip and not contracted[x]:
                    nd = d + e_w[a]
                    if nd < dist[x]:
                        if dist[x] == INF:
                            touched[n_touched] = x
                            n_touched += 1
                        dist[x] = nd
                        size = _heap_push(hkeys, hvals, size, nd, x)
            a = e_next_out[a]
    return n_touched


@nb.njit(cache=True, nogil=True)
def _contract_or_count(
    v,
    apply,
    settle_limit,
    out_head,
    in_head,
    e_from,
    e_to,
    e_w,
    e_next_out,
    e_next_in,
    alive,
    contracted,
    n_arcs,
    dist,
    touched,
    hkeys,
    hvals,
):
    """Shortcuts that contracting ``v`` needs: counted, or added when ``apply``.

    Returns (shortcuts, arcs removed from the remaining graph, new arc count); -1 arcs on
    overflow of the arc arrays.
    """
    shortcuts = 0
    removed = 0
    a_in = in_head[v]
    while a_in >= 0:
        if alive[a_in] and not contracted[e_from[a_in]]:
            u = e_from[a_in]
            w_in = e_w[a_in]
            removed += 1
            limit = np.int64(0)
            a_out = out_head[v]
            while a_out >= 0:
                if alive[a_out] and not contracted[e_to[a_out]] and e_to[a_out] != u:
                    limit = max(limit, w_in + e_w[a_out])
                a_out = e_next_out[a_out]
            n_touched = _witness(
                u,
                v,
                limit,
                settle_limit,
                out_head,
                e_next_out,
                e_to,
                e_w,
                alive,
                contracted,
                dist,
                touched,
                hkeys,
                hvals,
            )
            a_out = out_head[v]
            while a_out >= 0:
                x = e_to[a_out]
                if alive[a_out] and not contracted[x] and x != u:
                    through = w_in + e_w[a_out]
                    if dist[x] > through:
                        shortcuts += 1
                        if apply:
                            # an existing arc u→x is lowered, else a shortcut is added
                            b = out_head[u]
                            found = False
                            while b >= 0:
                                if alive[b] and e_to[b] == x:
                                    if through < e_w[b]:
                                        e_w[b] = through
                                    found = True
                                    break
                                b = e_next_out[b]
                            if not found:
                                if n_arcs >= e_to.size:
                                    return shortcuts, removed, -1
                                e_from[n_arcs], e_to[n_arcs], e_w[n_arcs] = u, x, through
                                alive[n_arcs] = True
                                e_next_out[n_arcs] = out_head[u]
                                out_head[u] = n_arcs
                                e_next_in[n_arcs] = in_head[x]
                                in_head[x] = n_arcs
                                n_arcs += 1
                a_out = e_next_out[a_out]
            for i in range(n_touched):
                dist[touched[i]] = INF
        a_in = e_next_in[a_in]
    a_out = out_head[v]
    while a_out >= 0:
        if alive[a_out] and not contracted[e_to[a_out]]:
            removed += 1
        a_out = e_next_out[a_out]
    return shortcuts, removed, n_arcs


@nb.njit(cache=True, nogil=True)
def _build(n, tail, head, weight, capacity):
    m = tail.size
    e_from = np.empty(capacity, np.int64)
    e_to = np.empty(capacity, np.int64)
    e_w = np.empty(capacity, np.int64)
    e_next_out = np.full(capacity, -1, np.int64)
    e_next_in = np.full(capacity, -1, np.int64)
    alive = np.zeros(capacity, np.bool_)
    out_head = np.full(n, -1, np.int64)
    in_head = np.full(n, -1, np.int64)
    for a in range(m):
        e_from[a], e_to[a], e_w[a] = tail[a], head[a], weight[a]
        alive[a] = True
        e_next_out[a] = out_head[tail[a]]
        out_head[tail[a]] = a
        e_next_in[a] = in_head[head[a]]
        in_head[head[a]] = a
    n_arcs = m
    contracted = np.zeros(n, np.bool_)
    deleted_neighbours = np.zeros(n, np.int64)
    dist = np.full(n, INF, np.int64)
    touched = np.empty(n, np.int64)
    hkeys = np.empty(capacity + n, np.int64)
    hvals = np.empty(capacity + n, np.int64)
    prio = np.empty(n, np.int64)
    qkeys = np.empty(n + 2 * capacity + 16, np.int64)
    qvals = np.empty(n + 2 * capacity + 16, np.int64)
    qsize = 0
    for v in range(n):
        sc, rem, _ = _contract_or_count(
            v,
            False,
            SIMULATION_SETTLE_LIMIT,
            out_head,
            in_head,
            e_from,
            e_to,
            e_w,
            e_next_out,
            e_next_in,
            alive,
            contracted,
            n_arcs,
            dist,
            touched,
            hkeys,
            hvals,
        )
        prio[v] = sc - rem
        qsize = _heap_push(qkeys, qvals, qsize, prio[v], v)
    rank = np.empty(n, np.int64)
    next_rank = 0
    while qsize > 0:
        key, v, qsize = _heap_pop(qkeys, qvals, qsize)
        if contracted[v] or key != prio[v]:
            continue
        sc, rem, _ = _contract_or_count(
            v,
            False,
            SIMULATION_SETTLE_LIMIT,
            out_head,
            in_head,
            e_from,
            e_to,
            e_w,
            e_next_out,
            e_next_in,
            alive,
            contracted,
            n_arcs,
            dist,
            touched,
            hkeys,
            hvals,
        )
        fresh = sc - rem + deleted_neighbours[v]
        if qsize > 0 and fresh > qkeys[0]:
            prio[v] = fresh
            qsize = _heap_push(qkeys, qvals, qsize, fresh, v)
            continue
        _sc, _rem, n_arcs = _contract_or_count(
            v,
            True,
            WITNESS_SETTLE_LIMIT,
            out_head,
            in_head,
            e_from,
            e_to,
            e_w,
            e_next_out,
            e_next_in,
            alive,
            contracted,
            n_arcs,
            dist,
            touched,
            hkeys,
            hvals,
        )
        if n_arcs < 0:
            return rank, e_from, e_to, e_w, -1
        contracted[v] = True
        rank[v] = next_rank
        next_rank += 1
        # neighbours: one more deleted neighbour, and a fresh priority
        for side in range(2):
            a = out_head[v] if side == 0 else in_head[v]
            while a >= 0:
                x = e_to[a] if side == 0 else e_from[a]
                if alive[a] and not contracted[x]:
                    deleted_neighbours[x] += 1
                    sc, rem, _ = _contract_or_count(
                        x,
                        False,
                        SIMULATION_SETTLE_LIMIT,
                        out_head,
                        in_head,
                        e_from,
                        e_to,
                        e_w,
                        e_next_out,
                        e_next_in,
                        alive,
                        contracted,
                        n_arcs,
                        dist,
                        touched,
                        hkeys,
                        hvals,
                    )
                    prio[x] = sc - rem + deleted_neighbours[x]
                    if qsize >= qkeys.size:
                        return rank, e_from, e_to, e_w, -1
                    qsize = _heap_push(qkeys, qvals, qsize, prio[x], x)
                a = e_next_out[a] if side == 0 else e_next_in[a]
    return rank, e_from, e_to, e_w, n_arcs


@dataclass(frozen=True, slots=True)
class ContractionHierarchy:
    """Upward graphs of a contraction hierarchy in CSR form.

    ``up_*``: arcs u→x with rank[x] > rank[u] (forward searches); ``down_*``: for each node x, arcs
    u→x with rank[u] > rank[x], stored at x pointing to u (backward searches).
    """

    n: int
    up_start: NDArray[np.int64]
    up_to: NDArray[np.int64]
    up_w: NDArray[np.int64]
    down_start: NDArray[np.int64]
    down_to: NDArray[np.int64]
    down_w: NDArray[np.int64]

    @classmethod
    def build(
        cls, n: int, tail: NDArray[np.int64], head: NDArray[np.int64], weight: NDArray[np.int64]
    ) -> ContractionHierarchy:
        """Contract the graph ``tail[i] → head[i]`` with ``weight[i]`` (parallel arcs allowed)."""
        keep = tail != head
        tail, head, weight = tail[keep], head[keep], weight[keep]
        order = np.lexsort((weight, head, tail))  # parallel arcs: keep the lightest
        tail, head, weight = tail[order], head[order], weight[order]
        first = np.ones(tail.size, dtype=bool)
        first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        tail, head, weight = (
            np.ascontiguousarray(a[first], dtype=np.int64) for a in (tail, head, weight)
        )
        capacity = 4 * tail.size + 64
        while True:
            rank, e_from, e_to, e_w, n_arcs = _build(n, tail, head, weight, capacity)
            if n_arcs >= 0:
                break
            capacity *= 2
        e_from, e_to, e_w = e_from[:n_arcs], e_to[:n_arcs], e_w[:n_arcs]
        up = rank[e_to] > rank[e_from]
        return cls(
            n, *_csr(n, e_from[up], e_to[up], e_w[up]), *_csr(n, e_to[~up], e_from[~up], e_w[~up])
        )

    def many_to_many(self, sources: Entries, targets: Entries) -> NDArray[np.int64]:
        """Shortest distances from every source to every target (:data:`INF`: unreachable).

        A point between nodes enters and leaves the network at several nodes with a cost, so
        each source and target is a group of ``(node, offset)`` entries (:class:`Entries`).
        """
        return _many_to_many(
            self.up_start,
            self.up_to,
            self.up_w,
            self.down_start,
            self.down_to,
            self.down_w,
            sources.ptr,
            sources.node,
            sources.offset,
            targets.ptr,
            targets.node,
            targets.offset,
            nb.get_num_threads(),
        )


@dataclass(frozen=True, slots=True)
class Entries:
    """Groups of ``(node, offset)``: group ``i`` is ``node[ptr[i]:ptr[i+1]]`` with its offsets."""

    ptr: NDArray[np.int64]
    node: NDArray[np.int64]
    offset: NDArray[np.int64]

    @classmethod
    def of(cls, groups: list[list[tuple[int, int]]]) -> Entries:
        """From lists of ``(node, offset)`` pairs."""
        ptr = np.zeros(len(groups) + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([len(g) for g in groups])
        node = np.array([n for g in groups for n, _ in g], dtype=np.int64)
        offset = np.array([o for g in groups for _, o in g], dtype=np.int64)
        return cls(ptr, node, offset)


def _csr(
    n: int, frm: NDArray[np.int64], to: NDArray[np.int64], w: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    order = np.lexsort((w, to, frm))
    frm, to, w = frm[order], to[order], w[order]
    first = np.ones(frm.size, dtype=bool)
    first[1:] = (frm[1:] != frm[:-1]) | (to[1:] != to[:-1])
    frm, to, w = frm[first], to[first], w[first]
    start = np.zeros(n + 1, dtype=np.int64)
    np.add.at(start, frm + 1, 1)
    return np.cumsum(start), to.astype(np.int64), w.astype(np.int64)


@nb.njit(cache=True, nogil=True)
def _upward(start, to, w, ptr, nodes, offs, i, dist, touched, hkeys, hvals, out_nodes, out_dist):
    """Dijkstra in an upward graph from the entries of point ``i``; returns settled count."""
    n_touched = 0
    size = 0
    for k in range(ptr[i], ptr[i + 1]):
        x, d0 = nodes[k], offs[k]
        if d0 < dist[x]:
            if dist[x] == INF:
                touched[n_touched] = x
                n_touched += 1
            dist[x] = d0
            size = _heap_push(hkeys, hvals, size, d0, x)
    n_out = 0
    while size > 0:
        d, u, size = _heap_pop(hkeys, hvals, size)
        if d > dist[u]:
            continue
        out_nodes[n_out] = u
        out_dist[n_out] = d
        n_out += 1
        for a in range(start[u], start[u + 1]):
            x = to[a]
            nd = d + w[a]
            if nd < dist[x]:
                if dist[x] == INF:
                    touched[n_touched] = x
                    n_touched += 1
                dist[x] = nd
                size = _heap_push(hkeys, hvals, size, nd, x)
    for k in range(n_touched):
        dist[touched[k]] = INF
    return n_out


@nb.njit(cache=True, parallel=True, nogil=True)
def _many_to_many(
    up_start,
    up_to,
    up_w,
    down_start,
    down_to,
    down_w,
    s_ptr,
    s_node,
    s_off,
    t_ptr,
    t_node,
    t_off,
    n_threads,
):
    n = up_start.size - 1
    n_src, n_tgt = s_ptr.size - 1, t_ptr.size - 1
    m_arcs = max(up_to.size, down_to.size) + n + 16
    # backward searches of the targets fill the buckets: node → (target, distance). Run twice,
    # counting then filling, so the buckets are flat arrays.
    dist = np.full(n, INF, np.int64)
    touched = np.empty(n, np.int64)
    hkeys = np.empty(m_arcs, np.int64)
    hvals = np.empty(m_arcs, np.int64)
    out_nodes = np.empty(n, np.int64)
    out_dist = np.empty(n, np.int64)
    bucket_start = np.zeros(n + 1, np.int64)
    for j in range(n_tgt):
        k = _upward(
            down_start,
            down_to,
            down_w,
            t_ptr,
            t_node,
            t_off,
            j,
            dist,
            touched,
            hkeys,
            hvals,
            out_nodes,
            out_dist,
        )
        for q in range(k):
            bucket_start[out_nodes[q] + 1] += 1
    for y in range(n):
        bucket_start[y + 1] += bucket_start[y]
    fill = bucket_start[:-1].copy()
    bucket_target = np.empty(bucket_start[n], np.int64)
    bucket_dist = np.empty(bucket_start[n], np.int64)
    for j in range(n_tgt):
        k = _upward(
            down_start,
            down_to,
            down_w,
            t_ptr,
            t_node,
            t_off,
            j,
            dist,
            touched,
            hkeys,
            hvals,
            out_nodes,
            out_dist,
        )
        for q in range(k):
            y = out_nodes[q]
            bucket_target[fill[y]] = j
            bucket_dist[fill[y]] = out_dist[q]
            fill[y] += 1
    result = np.full((n_src, n_tgt), INF, np.int64)
    n_chunks = min(n_threads, max(1, n_src))
    for c in nb.prange(n_chunks):
        lo = c * n_src // n_chunks
        hi = (c + 1) * n_src // n_chunks
        c_dist = np.full(n, INF, np.int64)
        c_touched = np.empty(n, np.int64)
        c_hkeys = np.empty(m_arcs, np.int64)
        c_hvals = np.empty(m_arcs, np.int64)
        c_nodes = np.empty(n, np.int64)
        c_d = np.empty(n, np.int64)
        for i in range(lo, hi):
            k = _upward(
                up_start,
                up_to,
                up_w,
                s_ptr,
                s_node,
                s_off,
                i,
                c_dist,
                c_touched,
                c_hkeys,
                c_hvals,
                c_nodes,
                c_d,
            )
            row = result[i]
            for q in range(k):
                y = c_nodes[q]
                dy = c_d[q]
                for b in range(bucket_start[y], bucket_start[y + 1]):
                    total = dy + bucket_dist[b]
                    t = bucket_target[b]
                    if total < row[t]:
                        row[t] = total
    return result
