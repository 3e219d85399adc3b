//! The loaded items over time: as many equal bins as the histogram has columns, between the
//! earliest start and the latest end. An item with a time range counts in every bin it
//! overlaps, and a bar's filter keeps exactly the items its count counted.

use super::MapPane;

/// Equal time bins and how many items overlap each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bins {
    /// The first bin's start (UTC microseconds).
    pub start: i64,
    /// Each bin's width (microseconds, at least 1).
    pub width: i64,
    /// Items overlapping each bin.
    pub counts: Vec<u32>,
}

impl Bins {
    /// Bin `i`'s window, inclusive both ends.
    pub fn window(&self, i: usize) -> (i64, i64) {
        let s = self.start + i as i64 * self.width;
        (s, s + self.width - 1)
    }

    /// The fullest bin's count.
    pub fn max(&self) -> u32 {
        self.counts.iter().copied().max().unwrap_or(0)
    }

    /// The bin holding instant `t`.
    fn index(&self, t: i64) -> usize {
        (((t - self.start) / self.width).max(0) as usize).min(self.counts.len() - 1)
    }
}

/// `n` bins over the pane's items (`None`: no item has a time, or `n` is 0).
pub fn bins(pane: &MapPane, n: usize) -> Option<Bins> {
    let (lo, hi) = pane.time_extent?;
    if n == 0 {
        return None;
    }
    let width = ((hi - lo) / n as i64 + 1).max(1);
    let mut bins = Bins {
        start: lo,
        width,
        counts: vec![0; n],
    };
    for (s, e) in pane.items.iter().flatten().filter_map(|i| i.time) {
        let (a, b) = (bins.index(s), bins.index(e));
        for c in &mut bins.counts[a..=b] {
            *c += 1;
        }
    }
    Some(bins)
}

/// A time as a short UTC label: the day, or the minute when the bins are shorter than a day.
pub fn label(micros: i64, width: i64) -> String {
    let text = crate::stac::datetime::format_rfc3339_micros(micros);
    const DAY: i64 = 86_400_000_000;
    if width >= DAY {
        text.chars().take(10).collect()
    } else {
        text.chars().take(16).collect::<String>().replace('T', " ")
    }
}

#[cfg(test)]
mod tests {
    use super::super::MapItem;
    use super::*;

    fn item(s: i64, e: i64) -> MapItem {
        MapItem {
            id: "x".into(),
            bbox: None,
            parts: Box::default(),
            time: Some((s, e)),
        }
    }

    #[test]
    fn a_range_counts_in_every_bin_it_overlaps_and_the_ends_are_in() {
        let pane = MapPane {
            items: vec![vec![item(0, 0), item(0, 99), item(99, 99), item(50, 50)]],
            time_extent: Some((0, 99)),
            ..MapPane::default()
        };
        let b = bins(&pane, 4).unwrap();
        assert_eq!(b.width, 25);
        assert_eq!(b.counts, vec![2, 1, 2, 2]);
        assert_eq!(b.window(3), (75, 99));
        assert_eq!(b.max(), 2);
        assert!(bins(&pane, 0).is_none());
    }
}
