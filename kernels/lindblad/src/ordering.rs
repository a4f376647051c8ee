//! Geometric nested-dissection orderings for Liouvillians that are 2D
//! stencils in some coordinates.
//!
//! For the LMG even block the unknown `ρ_kl` (`k − l` even) sits at
//! `(u, v) = ((k + l)/2, (k − l)/2)`; every term of `L` couples only points at
//! Chebyshev distance ≤ 1 in `(u, v)`, so columns of `AᵀA` (whose Cholesky
//! structure bounds faer's LU with partial pivoting) couple at distance ≤ 2,
//! and a slab two lattice lines wide separates the two sides.

/// Nested-dissection elimination order of points on an integer lattice.
///
/// Recursively splits the point set at the median of its wider bounding-box
/// axis (ties: the second axis), removing a separator slab
/// `c ≤ x < c + sep_width`; orders the lower part, the upper part, then the
/// separator. Sets of at most `leaf_size` points keep their index order.
/// Points coupled in the matrix graph must lie closer than `sep_width + 1`
/// along each axis for the separators to separate.
///
/// Returns a permutation `order` (`order[k]` = point eliminated `k`-th).
pub fn nested_dissection(coords: &[[i64; 2]], sep_width: i64, leaf_size: usize) -> Vec<usize> {
    let mut order = Vec::with_capacity(coords.len());
    let mut idx: Vec<usize> = (0..coords.len()).collect();
    let sep_width = sep_width.max(1);
    let leaf_size = leaf_size.max(1);
    recurse(coords, &mut idx, sep_width, leaf_size, &mut order);
    order
}

fn recurse(
    coords: &[[i64; 2]],
    idx: &mut [usize],
    sep_width: i64,
    leaf_size: usize,
    order: &mut Vec<usize>,
) {
    if idx.len() <= leaf_size {
        idx.sort_unstable();
        order.extend_from_slice(idx);
        return;
    }
    let Some(axis) = split_axis(coords, idx, sep_width) else {
        // too thin to split usefully
        idx.sort_unstable();
        order.extend_from_slice(idx);
        return;
    };
    idx.sort_unstable_by_key(|&i| (coords[i][axis], i));
    let c = coords[idx[idx.len() / 2]][axis];
    let lower_end = idx.partition_point(|&i| coords[i][axis] < c);
    let upper_start = idx.partition_point(|&i| coords[i][axis] < c + sep_width);
    let (lower, rest) = idx.split_at_mut(lower_end);
    let (sep, upper) = rest.split_at_mut(upper_start - lower_end);
    recurse(coords, lower, sep_width, leaf_size, order);
    recurse(coords, upper, sep_width, leaf_size, order);
    sep.sort_unstable();
    order.extend_from_slice(sep);
}

/// A nested-dissection elimination tree: `order[k]` is the point eliminated
/// `k`-th and node `s` owns the contiguous range `start..end` of `order`.
/// Nodes are listed children first (postorder); `parent` is `None` at a root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NdTree {
    /// Elimination order (a permutation of the points).
    pub order: Vec<usize>,
    /// `(start, end, parent)` of each node, children before parents.
    pub nodes: Vec<(usize, usize, Option<usize>)>,
}

/// As [`nested_dissection`], also returning the elimination tree; the
/// points with `last[i]` form a root separator eliminated after everything
/// else (e.g. the unknowns coupled by a dense constraint row).
pub fn nested_dissection_tree(
    coords: &[[i64; 2]],
    last: &[bool],
    sep_width: i64,
    leaf_size: usize,
) -> NdTree {
    let mut tree = NdTree {
        order: Vec::with_capacity(coords.len()),
        nodes: Vec::new(),
    };
    let mut idx: Vec<usize> = (0..coords.len()).filter(|&i| !last[i]).collect();
    let root_children = if idx.is_empty() {
        Vec::new()
    } else {
        vec![tree_recurse(
            coords,
            &mut idx,
            sep_width.max(1),
            leaf_size.max(1),
            &mut tree,
        )]
    };
    let top: Vec<usize> = (0..coords.len()).filter(|&i| last[i]).collect();
    if !top.is_empty() {
        let start = tree.order.len();
        tree.order.extend_from_slice(&top);
        let me = tree.nodes.len();
        tree.nodes.push((start, tree.order.len(), None));
        for c in root_children {
            tree.nodes[c].2 = Some(me);
        }
    }
    tree
}

/// Orders `idx` into `tree`; returns the node index of its root.
fn tree_recurse(
    coords: &[[i64; 2]],
    idx: &mut [usize],
    sep_width: i64,
    leaf_size: usize,
    tree: &mut NdTree,
) -> usize {
    let leaf = |idx: &mut [usize], tree: &mut NdTree| {
        idx.sort_unstable();
        let start = tree.order.len();
        tree.order.extend_from_slice(idx);
        tree.nodes.push((start, tree.order.len(), None));
        tree.nodes.len() - 1
    };
    if idx.len() <= leaf_size {
        return leaf(idx, tree);
    }
    let Some(axis) = split_axis(coords, idx, sep_width) else {
        return leaf(idx, tree);
    };
    idx.sort_unstable_by_key(|&i| (coords[i][axis], i));
    let c = coords[idx[idx.len() / 2]][axis];
    let lower_end = idx.partition_point(|&i| coords[i][axis] < c);
    let upper_start = idx.partition_point(|&i| coords[i][axis] < c + sep_width);
    let (lower, rest) = idx.split_at_mut(lower_end);
    let (sep, upper) = rest.split_at_mut(upper_start - lower_end);
    let mut kids = Vec::with_capacity(2);
    if !lower.is_empty() {
        kids.push(tree_recurse(coords, lower, sep_width, leaf_size, tree));
    }
    if !upper.is_empty() {
        kids.push(tree_recurse(coords, upper, sep_width, leaf_size, tree));
    }
    sep.sort_unstable();
    let start = tree.order.len();
    tree.order.extend_from_slice(sep);
    tree.nodes.push((start, tree.order.len(), None));
    let me = tree.nodes.len() - 1;
    for k in kids {
        tree.nodes[k].2 = Some(me);
    }
    me
}

/// The axis along which to bisect the points `idx`: the longer side of their
/// bounding box, or `None` when that side is too short for a separator of
/// `sep_width` lines plus a part on each side.
fn split_axis(coords: &[[i64; 2]], idx: &[usize], sep_width: i64) -> Option<usize> {
    let mut lo = [i64::MAX; 2];
    let mut hi = [i64::MIN; 2];
    for &i in idx {
        for a in 0..2 {
            lo[a] = lo[a].min(coords[i][a]);
            hi[a] = hi[a].max(coords[i][a]);
        }
    }
    let axis = if hi[0] - lo[0] > hi[1] - lo[1] { 0 } else { 1 };
    (hi[axis] - lo[axis] >= sep_width + 2).then_some(axis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_a_permutation_and_separates() {
        let mut coords = Vec::new();
        for u in 0..40i64 {
            for v in -20..20i64 {
                if v.abs() <= u.min(40 - u) {
                    coords.push([u, v]);
                }
            }
        }
        let order = nested_dissection(&coords, 2, 8);
        let mut seen = vec![false; coords.len()];
        for &k in &order {
            assert!(!seen[k]);
            seen[k] = true;
        }
        assert!(seen.iter().all(|&s| s));
        // the last-eliminated points include the v = 0 line (top separator)
        let tail = &order[order.len() - 30..];
        assert!(tail.iter().all(|&k| coords[k][1] == 0 || coords[k][1] == 1));
    }
}
