//! Nested dissection of a general sparsity pattern with METIS vertex
//! separators: the fill-reducing elimination tree for models without a
//! known geometry (the LMG lattice has its own, [`crate::ordering`]).
//!
//! The graph is that of `A + Aᵀ` (no self loops) on the unknowns not marked
//! `last`. A set of more than `leaf_size` unknowns is split by
//! `METIS_ComputeVertexSeparator` (METIS 5, multilevel coarsening with
//! FM refinement) into two parts not coupled to each other and their
//! separator; the parts are ordered recursively, then the separator.
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
    let adj = Adjacency::new(n, col_ptr, row_idx, last);
    let mut tree = NdTree {
        order: Vec::with_capacity(n),
        nodes: Vec::new(),
    };
    let mut ctx = Splitter {
        adj: &adj,
        local: vec![NONE; n],
        leaf_size: leaf_size.max(2),
    };
    let mut idx: Vec<u32> = (0..n as u32).filter(|&i| !last[i as usize]).collect();
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

struct Splitter<'a> {
    adj: &'a Adjacency,
    /// Local index of each global unknown in the set being split (`NONE`
    /// outside it; reset after each split).
    local: Vec<u32>,
    leaf_size: usize,
}

impl Splitter<'_> {
    /// Orders the set `idx` into `tree`; returns the index of its root node.
    fn recurse(&mut self, idx: &mut [u32], tree: &mut NdTree) -> Result<usize, LindbladError> {
        let leaf = |idx: &mut [u32], tree: &mut NdTree| {
            idx.sort_unstable();
            let start = tree.order.len();
            tree.order.extend(idx.iter().map(|&i| i as usize));
            tree.nodes.push((start, tree.order.len(), None));
            tree.nodes.len() - 1
        };
        if idx.len() <= self.leaf_size {
            return Ok(leaf(idx, tree));
        }
        let part = self.separate(idx)?;
        // reorder idx as [part 0 | part 1 | separator]
        let mut keyed: Vec<(u32, u32)> = idx.iter().zip(&part).map(|(&g, &p)| (p, g)).collect();
        keyed.sort_unstable();
        let n0 = keyed.iter().filter(|k| k.0 == 0).count();
        let n1 = keyed.iter().filter(|k| k.0 == 1).count();
        if n0 == 0 || n1 == 0 {
            // no useful split (e.g. a clique): a dense leaf
            return Ok(leaf(idx, tree));
        }
        for (slot, (_, g)) in idx.iter_mut().zip(keyed) {
            *slot = g;
        }
        let (lower, rest) = idx.split_at_mut(n0);
        let (upper, sep) = rest.split_at_mut(n1);
        let kids = [self.recurse(lower, tree)?, self.recurse(upper, tree)?];
        sep.sort_unstable();
        let start = tree.order.len();
        tree.order.extend(sep.iter().map(|&i| i as usize));
        tree.nodes.push((start, tree.order.len(), None));
        let me = tree.nodes.len() - 1;
        for k in kids {
            tree.nodes[k].2 = Some(me);
        }
        Ok(me)
    }

    /// METIS's vertex separator of the subgraph induced by `idx`: per
    /// unknown 0 or 1 (its part) or 2 (separator). An empty separator of
    /// two nonempty parts (a disconnected set) gets one unknown of part 1,
    /// so that every tree node owns at least one unknown.
    fn separate(&mut self, idx: &[u32]) -> Result<Vec<u32>, LindbladError> {
        for (k, &g) in idx.iter().enumerate() {
            self.local[g as usize] = k as u32;
        }
        let mut xadj: Vec<ms::idx_t> = Vec::with_capacity(idx.len() + 1);
        let mut adjncy: Vec<ms::idx_t> = Vec::new();
        xadj.push(0);
        for &g in idx {
            let g = g as usize;
            for &v in &self.adj.nbr[self.adj.ptr[g]..self.adj.ptr[g + 1]] {
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
            // (nv + 1 offsets, xadj[nv] neighbours, nv parts, NOPTIONS
            // options); METIS does not keep the pointers.
            let status = unsafe {
                ms::METIS_SetDefaultOptions(options.as_mut_ptr());
                options[ms::moptions_et_METIS_OPTION_NUMBERING as usize] = 0;
                ms::METIS_ComputeVertexSeparator(
                    &mut nv,
                    xadj.as_mut_ptr(),
                    adjncy.as_mut_ptr(),
                    std::ptr::null_mut(),
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

    /// A permutation whose nodes separate: every edge joins a node to
    /// itself or to one of its ancestors; the `last` unknown is the root.
    #[test]
    fn tree_is_a_permutation_and_a_separator_tree() {
        let (n, cp, ri) = grid(30);
        let mut last = vec![false; n];
        last[7] = true;
        let t = metis_nd_tree(n, &cp, &ri, &last, 16).unwrap();
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
        assert_eq!(t.order[n - 1], 7);
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
        // a real dissection: more than a handful of nodes, small root separator
        assert!(t.nodes.len() > 20);
        let (a, b, _) = t.nodes[t.nodes.len() - 2];
        assert!(b - a <= 45, "top separator of {} unknowns", b - a);
    }
}
