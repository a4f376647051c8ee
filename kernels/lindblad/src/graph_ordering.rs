//! Nested dissection of a general sparsity pattern with METIS vertex
//! separators: the fill-reducing elimination tree for models without a
//! known geometry (the LMG lattice has its own, [`crate::ordering`]).
//!
//! The graph is that of `A + Aᵀ` (no self loops) on the unknowns not marked
//! `last`, compressed before METIS sees it: unknowns with the same closed
//! neighbourhood (indistinguishable nodes, e.g. `Re ρ_ij` and `Im ρ_ij` of
//! the real formulation, which share every coupling) become one vertex
//! weighted by their count (George & Liu 1980, §3 of "An automatic nested
//! dissection algorithm"; METIS's own `NodeND` does the same). Separating
//! the compressed graph separates the original one: an edge `u`–`w`
//! between two groups puts `w` in the closed neighbourhood of `u`'s
//! group, hence an edge between the groups. The real Lindblad systems
//! compress about 2× in vertices and 3–4× in edges, and METIS's time
//! follows the edges.
//!
//! A set of more than `leaf_size` unknowns is split by
//! `METIS_ComputeVertexSeparator` (METIS 5, multilevel coarsening with
//! FM refinement, vertex weights = group sizes) into two parts not coupled
//! to each other and their separator; the parts are ordered recursively,
//! then the separator; each node lists the unknowns of its vertices in
//! increasing order.
//! Unknowns marked `last` (e.g. the unknown of a dense constraint row) form
//! a root separator eliminated after everything else. The result is an
//! [`NdTree`] (children before parents), which the multifrontal LU
//! ([`crate::multifrontal`]) factorizes exactly as the geometric trees.
//!
//! METIS runs with its default options (fixed seed): the tree, hence the
//! factors, are the same on every run and rank.

use crate::ordering::NdTree;
use crate::LindbladError;
use metis_sys as ms;

const NONE: u32 = u32::MAX;

/// The symmetrized adjacency of a CSC pattern (`n × n`), without self
/// loops and without the unknowns of `last`, as sorted neighbour lists.
struct Adjacency {
    ptr: Vec<usize>,
    nbr: Vec<u32>,
}

impl Adjacency {
    fn new(n: usize, col_ptr: &[usize], row_idx: &[usize], last: &[bool]) -> Self {
        let mut deg = vec![0usize; n + 1];
        let keep = |i: usize, j: usize| i != j && !last[i] && !last[j];
        for c in 0..n {
            for &r in &row_idx[col_ptr[c]..col_ptr[c + 1]] {
                if keep(r, c) {
                    deg[r + 1] += 1;
                    deg[c + 1] += 1;
                }
            }
        }
        for i in 0..n {
            deg[i + 1] += deg[i];
        }
        let mut next = deg[..n].to_vec();
        let mut nbr = vec![0u32; deg[n]];
        for c in 0..n {
            for &r in &row_idx[col_ptr[c]..col_ptr[c + 1]] {
                if keep(r, c) {
                    nbr[next[r]] = c as u32;
                    next[r] += 1;
                    nbr[next[c]] = r as u32;
                    next[c] += 1;
                }
            }
        }
        // sort and deduplicate each list (A and Aᵀ both hold most edges)
        let mut ptr = vec![0usize; n + 1];
        let mut out = 0usize;
        for i in 0..n {
            let list = &mut nbr[deg[i]..deg[i + 1]];
            list.sort_unstable();
            let mut prev = NONE;
            for k in deg[i]..deg[i + 1] {
                let v = nbr[k];
                if v != prev {
                    nbr[out] = v;
                    out += 1;
                    prev = v;
                }
            }
            ptr[i + 1] = out;
        }
        nbr.truncate(out);
        Self { ptr, nbr }
    }

    fn list(&self, i: usize) -> &[u32] {
        &self.nbr[self.ptr[i]..self.ptr[i + 1]]
    }

    fn len(&self) -> usize {
        self.ptr.len() - 1
    }
}

/// Indistinguishable unknowns (module docs): the group (vertex) of each
/// unknown and the members of each group (increasing; groups numbered in
/// the order of their smallest member).
struct Groups {
    of: Vec<u32>,
    ptr: Vec<usize>,
    members: Vec<u32>,
}

impl Groups {
    /// Groups the unknowns not in `last` by closed neighbourhood; the
    /// `last` unknowns get no group (`NONE`).
    fn new(adj: &Adjacency, last: &[bool]) -> Self {
        let n = adj.len();
        let mix = |v: u64| {
            // splitmix64 finalizer: an order-independent sum of mixed ids
            let mut z = v.wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let mut keys: Vec<(u64, u32, u32)> = (0..n)
            .filter(|&i| !last[i])
            .map(|i| {
                let h = adj
                    .list(i)
                    .iter()
                    .fold(mix(i as u64), |h, &v| h.wrapping_add(mix(v as u64)));
                (h, adj.list(i).len() as u32, i as u32)
            })
            .collect();
        keys.sort_unstable();
        // the closed neighbourhood of i, sorted, into buf
        let closed = |i: usize, buf: &mut Vec<u32>| {
            buf.clear();
            let l = adj.list(i);
            let at = l.partition_point(|&v| (v as usize) < i);
            buf.extend_from_slice(&l[..at]);
            buf.push(i as u32);
            buf.extend_from_slice(&l[at..]);
        };
        // representative (smallest member) of each unknown
        let mut rep: Vec<u32> = (0..n as u32).collect();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut reps: Vec<u32> = Vec::new();
        for run in keys.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)) {
            if run.len() == 1 {
                continue;
            }
            reps.clear();
            // run is sorted by unknown: the first match is the smallest
            for &(_, _, i) in run {
                closed(i as usize, &mut a);
                let mut found = None;
                for &r in &reps {
                    closed(r as usize, &mut b);
                    if a == b {
                        found = Some(r);
                        break;
                    }
                }
                match found {
                    Some(r) => rep[i as usize] = r,
                    None => reps.push(i),
                }
            }
        }
        let mut of = vec![NONE; n];
        let mut count: Vec<usize> = Vec::new();
        for i in 0..n {
            if last[i] {
                continue;
            }
            let r = rep[i] as usize;
            if r == i {
                of[i] = count.len() as u32;
                count.push(0);
            } else {
                of[i] = of[r];
            }
            count[of[i] as usize] += 1;
        }
        let mut ptr = vec![0usize; count.len() + 1];
        for (g, &c) in count.iter().enumerate() {
            ptr[g + 1] = ptr[g] + c;
        }
        let mut next = ptr[..count.len()].to_vec();
        let mut members = vec![0u32; ptr[count.len()]];
        for (i, &g) in of.iter().enumerate() {
            if g != NONE {
                members[next[g as usize]] = i as u32;
                next[g as usize] += 1;
            }
        }
        Self { of, ptr, members }
    }

    fn count(&self) -> usize {
        self.ptr.len() - 1
    }

    fn members(&self, g: usize) -> &[u32] {
        &self.members[self.ptr[g]..self.ptr[g + 1]]
    }

    /// The compressed graph: group `g` is adjacent to the groups of the
    /// neighbours of its smallest member (itself excluded).
    fn quotient(&self, adj: &Adjacency) -> Adjacency {
        let ng = self.count();
        let mut mark = vec![NONE; ng];
        let mut ptr = Vec::with_capacity(ng + 1);
        let mut nbr = Vec::new();
        ptr.push(0);
        for g in 0..ng {
            mark[g] = g as u32;
            let start = nbr.len();
            for &v in adj.list(self.members(g)[0] as usize) {
                let h = self.of[v as usize];
                if h != NONE && mark[h as usize] != g as u32 {
                    mark[h as usize] = g as u32;
                    nbr.push(h);
                }
            }
            nbr[start..].sort_unstable();
            ptr.push(nbr.len());
        }
        Adjacency { ptr, nbr }
    }
}

/// The METIS nested-dissection tree of the pattern (module docs).
///
/// # Errors
/// [`LindbladError::InvalidInput`] for more than `i32::MAX` unknowns or
/// adjacency entries (METIS's index type); [`LindbladError::Numerical`]
/// if METIS reports a failure.
pub fn metis_nd_tree(
    n: usize,
    col_ptr: &[usize],
    row_idx: &[usize],
    last: &[bool],
    leaf_size: usize,
) -> Result<NdTree, LindbladError> {
    if n >= i32::MAX as usize || row_idx.len() >= (i32::MAX as usize) / 2 {
        return Err(LindbladError::InvalidInput(format!(
            "{n} unknowns with {} entries exceed METIS's 32-bit indices",
            row_idx.len()
        )));
    }
    let groups = {
        let adj = Adjacency::new(n, col_ptr, row_idx, last);
        let groups = Groups::new(&adj, last);
        let quotient = groups.quotient(&adj);
        (groups, quotient)
    };
    let (groups, adj) = (&groups.0, &groups.1);
    let mut tree = NdTree {
        order: Vec::with_capacity(n),
        nodes: Vec::new(),
    };
    let ng = groups.count();
    let mut ctx = Splitter {
        adj,
        groups,
        local: vec![NONE; ng],
        leaf_size: leaf_size.max(2),
    };
    let mut idx: Vec<u32> = (0..ng as u32).collect();
    let root_children = if idx.is_empty() {
        Vec::new()
    } else {
        vec![ctx.recurse(&mut idx, &mut tree)?]
    };
    let top: Vec<usize> = (0..n).filter(|&i| last[i]).collect();
    if !top.is_empty() {
        let start = tree.order.len();
        tree.order.extend_from_slice(&top);
        let me = tree.nodes.len();
        tree.nodes.push((start, tree.order.len(), None));
        for c in root_children {
            tree.nodes[c].2 = Some(me);
        }
    }
    Ok(tree)
}

/// The recursion on the compressed graph (vertices = groups).
struct Splitter<'a> {
    adj: &'a Adjacency,
    groups: &'a Groups,
    /// Local index of each vertex in the set being split (`NONE` outside
    /// it; reset after each split).
    local: Vec<u32>,
    leaf_size: usize,
}

impl Splitter<'_> {
    /// Appends a node owning the unknowns of the vertices `idx` (in
    /// increasing order) to `tree`; returns its index.
    fn node(&self, idx: &[u32], tree: &mut NdTree) -> usize {
        let start = tree.order.len();
        for &g in idx {
            tree.order
                .extend(self.groups.members(g as usize).iter().map(|&i| i as usize));
        }
        tree.order[start..].sort_unstable();
        tree.nodes.push((start, tree.order.len(), None));
        tree.nodes.len() - 1
    }

    /// Unknowns of the vertices `idx`.
    fn weight(&self, idx: &[u32]) -> usize {
        idx.iter()
            .map(|&g| self.groups.members(g as usize).len())
            .sum()
    }

    /// Orders the set `idx` into `tree`; returns the index of its root node.
    fn recurse(&mut self, idx: &mut [u32], tree: &mut NdTree) -> Result<usize, LindbladError> {
        if idx.len() <= 1 || self.weight(idx) <= self.leaf_size {
            return Ok(self.node(idx, tree));
        }
        let part = self.separate(idx)?;
        // reorder idx as [part 0 | part 1 | separator]
        let mut keyed: Vec<(u32, u32)> = idx.iter().zip(&part).map(|(&g, &p)| (p, g)).collect();
        keyed.sort_unstable();
        let n0 = keyed.iter().filter(|k| k.0 == 0).count();
        let n1 = keyed.iter().filter(|k| k.0 == 1).count();
        if n0 == 0 || n1 == 0 {
            // no useful split (e.g. a clique): a dense leaf
            return Ok(self.node(idx, tree));
        }
        for (slot, (_, g)) in idx.iter_mut().zip(keyed) {
            *slot = g;
        }
        let (lower, rest) = idx.split_at_mut(n0);
        let (upper, sep) = rest.split_at_mut(n1);
        let kids = [self.recurse(lower, tree)?, self.recurse(upper, tree)?];
        let me = self.node(sep, tree);
        for k in kids {
            tree.nodes[k].2 = Some(me);
        }
        Ok(me)
    }

    /// METIS's vertex separator of the subgraph induced by the vertices
    /// `idx` (weighted by their unknowns): per vertex 0 or 1 (its part) or
    /// 2 (separator). An empty separator of
    /// two nonempty parts (a disconnected set) gets one unknown of part 1,
    /// so that every tree node owns at least one unknown.
    fn separate(&mut self, idx: &[u32]) -> Result<Vec<u32>, LindbladError> {
        for (k, &g) in idx.iter().enumerate() {
            self.local[g as usize] = k as u32;
        }
        let mut xadj: Vec<ms::idx_t> = Vec::with_capacity(idx.len() + 1);
        let mut adjncy: Vec<ms::idx_t> = Vec::new();
        let mut vwgt: Vec<ms::idx_t> = Vec::with_capacity(idx.len());
        xadj.push(0);
        for &g in idx {
            let g = g as usize;
            vwgt.push(self.groups.members(g).len() as ms::idx_t);
            for &v in self.adj.list(g) {
                let l = self.local[v as usize];
                if l != NONE {
                    adjncy.push(l as ms::idx_t);
                }
            }
            xadj.push(adjncy.len() as ms::idx_t);
        }
        for &g in idx {
            self.local[g as usize] = NONE;
        }
        let mut nv = idx.len() as ms::idx_t;
        let mut part: Vec<ms::idx_t> = vec![0; idx.len()];
        let mut options = [0 as ms::idx_t; ms::METIS_NOPTIONS as usize];
        let mut sepsize: ms::idx_t = 0;
        if adjncy.is_empty() {
            // no edges: any halving separates
            for (k, p) in part.iter_mut().enumerate() {
                *p = (2 * k / idx.len()) as ms::idx_t;
            }
        } else {
            // SAFETY: the arrays are valid for the lengths METIS reads
            // (nv + 1 offsets, xadj[nv] neighbours, nv weights and parts,
            // NOPTIONS options); METIS does not keep the pointers.
            let status = unsafe {
                ms::METIS_SetDefaultOptions(options.as_mut_ptr());
                options[ms::moptions_et_METIS_OPTION_NUMBERING as usize] = 0;
                ms::METIS_ComputeVertexSeparator(
                    &mut nv,
                    xadj.as_mut_ptr(),
                    adjncy.as_mut_ptr(),
                    vwgt.as_mut_ptr(),
                    options.as_mut_ptr(),
                    &mut sepsize,
                    part.as_mut_ptr(),
                )
            };
            if status != ms::rstatus_et_METIS_OK {
                return Err(LindbladError::Numerical(format!(
                    "METIS vertex separator failed (status {status}) on {} unknowns",
                    idx.len()
                )));
            }
        }
        let mut part: Vec<u32> = part.into_iter().map(|p| p.clamp(0, 2) as u32).collect();
        if !part.contains(&2) {
            if let Some(k) = part.iter().rposition(|&p| p == 1) {
                if part.contains(&0) {
                    part[k] = 2;
                }
            }
        }
        Ok(part)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 5-point Laplacian on an `m × m` grid in CSC form.
    fn grid(m: usize) -> (usize, Vec<usize>, Vec<usize>) {
        let n = m * m;
        let mut cp = vec![0];
        let mut ri = Vec::new();
        for c in 0..n {
            let (x, y) = (c % m, c / m);
            let mut rows = vec![c];
            if x > 0 {
                rows.push(c - 1);
            }
            if x + 1 < m {
                rows.push(c + 1);
            }
            if y > 0 {
                rows.push(c - m);
            }
            if y + 1 < m {
                rows.push(c + m);
            }
            rows.sort_unstable();
            ri.extend(rows);
            cp.push(ri.len());
        }
        (n, cp, ri)
    }

    /// Checks that `t` is a permutation whose nodes separate the pattern:
    /// every edge joins a node to itself or to one of its ancestors.
    fn assert_separator_tree(t: &NdTree, n: usize, cp: &[usize], ri: &[usize]) {
        let mut node_of = vec![usize::MAX; n];
        let mut seen = vec![false; n];
        for (s, &(a, b, _)) in t.nodes.iter().enumerate() {
            assert!(a < b, "empty node");
            for &k in &t.order[a..b] {
                assert!(!seen[k]);
                seen[k] = true;
                node_of[k] = s;
            }
        }
        assert!(seen.iter().all(|&s| s));
        let is_ancestor = |mut s: usize, a: usize| loop {
            if s == a {
                return true;
            }
            match t.nodes[s].2 {
                Some(p) => s = p,
                None => return false,
            }
        };
        for c in 0..n {
            for &r in &ri[cp[c]..cp[c + 1]] {
                let (a, b) = (node_of[r], node_of[c]);
                assert!(is_ancestor(a, b) || is_ancestor(b, a), "edge {r}-{c}");
            }
        }
    }

    /// A permutation whose nodes separate; the `last` unknown is the root.
    #[test]
    fn tree_is_a_permutation_and_a_separator_tree() {
        let (n, cp, ri) = grid(30);
        let mut last = vec![false; n];
        last[7] = true;
        let t = metis_nd_tree(n, &cp, &ri, &last, 16).unwrap();
        assert_separator_tree(&t, n, &cp, &ri);
        assert_eq!(t.order[n - 1], 7);
        // a real dissection: more than a handful of nodes, small root separator
        assert!(t.nodes.len() > 20);
        let (a, b, _) = t.nodes[t.nodes.len() - 2];
        assert!(b - a <= 45, "top separator of {} unknowns", b - a);
    }

    /// Two unknowns per grid point coupled to everything their point and
    /// its neighbours hold (the `Re`/`Im` pairs of the real formulation):
    /// one vertex per point, and the tree of the compressed graph
    /// separates the original pattern, keeping each pair in one node.
    #[test]
    fn indistinguishable_pairs_compress_to_one_vertex() {
        let m = 24;
        let (np, pcp, pri) = grid(m);
        let n = 2 * np;
        let (mut cp, mut ri) = (vec![0], Vec::new());
        for c in 0..n {
            let p = c / 2;
            for &q in &pri[pcp[p]..pcp[p + 1]] {
                ri.extend([2 * q, 2 * q + 1]);
            }
            cp.push(ri.len());
        }
        let mut last = vec![false; n];
        last[0] = true;
        let adj = Adjacency::new(n, &cp, &ri, &last);
        let groups = Groups::new(&adj, &last);
        // unknown 1 lost its partner to `last`: alone; every other pair merged
        assert_eq!(groups.count(), np);
        assert_eq!(groups.members(0), &[1]);
        for g in 1..np {
            assert_eq!(groups.members(g), &[2 * g as u32, 2 * g as u32 + 1]);
        }
        let q = groups.quotient(&adj);
        assert!(
            q.nbr.len() * 3 < adj.nbr.len(),
            "{} vs {}",
            q.nbr.len(),
            adj.nbr.len()
        );
        let t = metis_nd_tree(n, &cp, &ri, &last, 16).unwrap();
        assert_separator_tree(&t, n, &cp, &ri);
        assert_eq!(t.order[n - 1], 0);
        let mut node_of = vec![0usize; n];
        for (s, &(a, b, _)) in t.nodes.iter().enumerate() {
            for &k in &t.order[a..b] {
                node_of[k] = s;
            }
        }
        assert!((1..np).all(|p| node_of[2 * p] == node_of[2 * p + 1]));
        // a path: closed neighbourhoods differ, nothing merges
        let (cp, ri): (Vec<usize>, Vec<usize>) = {
            let mut cp = vec![0];
            let mut ri = Vec::new();
            for c in 0..10usize {
                ri.extend((c.saturating_sub(1)..(c + 2).min(10)).collect::<Vec<_>>());
                cp.push(ri.len());
            }
            (cp, ri)
        };
        let adj = Adjacency::new(10, &cp, &ri, &[false; 10]);
        assert_eq!(Groups::new(&adj, &[false; 10]).count(), 10);
    }
}
