//! Sankey diagram of treatment sequences: one column per line of therapy,
//! a node per regimen class (or end state) sized by its number of
//! patients, and bands between consecutive columns sized by the number of
//! patients who went from one to the other, each labelled with its count.
//!
//! The figure draws what it is given: minimum-cell-count suppression of
//! small flows is the caller's job (the sequence analysis applies it before
//! the data leave the registry).
//!
//! Layout: nodes in a column are stacked top-down in the given order with
//! fixed gaps; one scale (px per patient) for the whole figure, chosen so
//! that the fullest column fits. A node's height is the larger of its
//! inflow and outflow; bands leave a node in the order of their target and
//! enter in the order of their source, so bands do not cross at the nodes.

use super::{Figure, Style, draw_title};
use crate::ReportError;
use crate::error::invalid;
use crate::figure::fmt_count;
use crate::font::max_width;
use crate::palette::{self, ClassColours};
use crate::svg::{N, PathData, Svg};

/// A node: a category in one column.
#[derive(Debug, Clone, PartialEq)]
pub struct SankeyNode {
    /// Column (0-based).
    pub column: usize,
    /// Category label (regimen class or end state).
    pub label: String,
    /// Number of patients in the node, when known (patients whose
    /// sequence ends here have no outgoing band); the node is drawn at
    /// the largest of this, its inflow and its outflow.
    pub count: Option<f64>,
}

/// A band from one node to a node of a later column.
#[derive(Debug, Clone, PartialEq)]
pub struct SankeyFlow {
    /// Index of the source node.
    pub from: usize,
    /// Index of the target node.
    pub to: usize,
    /// Number of patients.
    pub count: f64,
}

/// A Sankey diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct SankeyFigure {
    /// Column headers ("Line 1", "Line 2", …).
    pub columns: Vec<String>,
    /// Nodes; within a column they are drawn in this order.
    pub nodes: Vec<SankeyNode>,
    /// Bands.
    pub flows: Vec<SankeyFlow>,
    /// Title above the figure (empty for none).
    pub title: String,
    /// Width, text size, line width.
    pub style: Style,
    /// Height of the node area in px.
    pub plot_height: f64,
}

/// True for labels of end states ("Death", "No further line", "Alive",
/// "Lost to follow-up"), drawn in greys.
fn end_state_colour(label: &str) -> Option<&'static str> {
    let l = label.to_lowercase();
    if l.contains("death") || l.contains("died") || l == "dead" {
        Some(palette::DARK_GREY)
    } else if l.contains("no further")
        || l.contains("alive")
        || l.contains("lost")
        || l.contains("no treatment")
        || l == "none"
    {
        Some(palette::GREY)
    } else {
        None
    }
}

/// Treatments by size, end states ("No further line", "Death") last, ties
/// by label: the order of nodes within a column.
fn sort_nodes(totals: &mut [(usize, String, f64)]) {
    totals.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(
                end_state_colour(&a.1)
                    .is_some()
                    .cmp(&end_state_colour(&b.1).is_some()),
            )
            .then(b.2.total_cmp(&a.2))
            .then_with(|| a.1.cmp(&b.1))
    });
}

impl SankeyFigure {
    /// Builds the diagram from transitions: `(column, from, to, count)` is a
    /// band from node `from` in `column` to node `to` in `column + 1` (the
    /// Sankey data of a sequence analysis, whose small transitions may have
    /// been suppressed, so that pathways cannot be rebuilt). A node's count
    /// is the larger of its inflow and outflow; nodes are ordered as in
    /// [`SankeyFigure::from_pathways`].
    pub fn from_links(
        column_headers: Vec<String>,
        links: &[(usize, String, String, f64)],
    ) -> Result<SankeyFigure, ReportError> {
        if links.is_empty() {
            return Err(ReportError::NoData("Sankey diagram".into()));
        }
        if let Some((_, _, _, c)) = links.iter().find(|l| !(l.3.is_finite() && l.3 >= 0.0)) {
            return Err(invalid("transition count", *c));
        }
        // (column, label) → (inflow, outflow).
        let mut flow: Vec<(usize, String, f64, f64)> = Vec::new();
        let mut add = |col: usize, label: &str, inflow: f64, outflow: f64| match flow
            .iter_mut()
            .find(|(c, l, _, _)| *c == col && l == label)
        {
            Some(f) => {
                f.2 += inflow;
                f.3 += outflow;
            }
            None => flow.push((col, label.to_string(), inflow, outflow)),
        };
        for (col, from, to, n) in links {
            add(*col, from, 0.0, *n);
            add(col + 1, to, *n, 0.0);
        }
        let mut totals: Vec<(usize, String, f64)> = flow
            .into_iter()
            .map(|(c, l, i, o)| (c, l, i.max(o)))
            .collect();
        sort_nodes(&mut totals);
        let nodes: Vec<SankeyNode> = totals
            .iter()
            .map(|(c, l, n)| SankeyNode {
                column: *c,
                label: l.clone(),
                count: Some(*n),
            })
            .collect();
        let index = |col: usize, label: &str| {
            nodes
                .iter()
                .position(|n| n.column == col && n.label == label)
                .unwrap_or(0)
        };
        let mut flows: Vec<SankeyFlow> = Vec::new();
        for (col, from, to, n) in links {
            let (a, b) = (index(*col, from), index(col + 1, to));
            match flows.iter_mut().find(|f| f.from == a && f.to == b) {
                Some(f) => f.count += n,
                None => flows.push(SankeyFlow {
                    from: a,
                    to: b,
                    count: *n,
                }),
            }
        }
        flows.sort_by(|a, b| a.from.cmp(&b.from).then(a.to.cmp(&b.to)));
        let n_cols = nodes.iter().map(|n| n.column + 1).max().unwrap_or(0);
        let mut columns = column_headers;
        while columns.len() < n_cols {
            columns.push(format!("Line {}", columns.len() + 1));
        }
        Ok(SankeyFigure {
            columns,
            nodes,
            flows,
            title: String::new(),
            style: Style::default(),
            plot_height: 320.0,
        })
    }

    /// Builds the diagram from patient pathways: each pathway is the
    /// sequence of categories of a group of patients (line 1, line 2, …,
    /// optionally an end state) and its count. Nodes in each column are
    /// ordered by their number of patients (descending, ties by label);
    /// consecutive steps give the flows.
    pub fn from_pathways(
        column_headers: Vec<String>,
        pathways: &[(Vec<String>, f64)],
    ) -> Result<SankeyFigure, ReportError> {
        let n_cols = pathways.iter().map(|(p, _)| p.len()).max().unwrap_or(0);
        if n_cols == 0 {
            return Err(ReportError::NoData("Sankey diagram".into()));
        }
        if let Some((_, c)) = pathways.iter().find(|(_, c)| !(c.is_finite() && *c >= 0.0)) {
            return Err(invalid("pathway count", *c));
        }
        // Totals per (column, label).
        let mut totals: Vec<(usize, String, f64)> = Vec::new();
        for (path, count) in pathways {
            for (col, label) in path.iter().enumerate() {
                match totals.iter_mut().find(|(c, l, _)| *c == col && l == label) {
                    Some(t) => t.2 += count,
                    None => totals.push((col, label.clone(), *count)),
                }
            }
        }
        sort_nodes(&mut totals);
        let nodes: Vec<SankeyNode> = totals
            .iter()
            .map(|(c, l, n)| SankeyNode {
                column: *c,
                label: l.clone(),
                count: Some(*n),
            })
            .collect();
        let index = |col: usize, label: &str| {
            nodes
                .iter()
                .position(|n| n.column == col && n.label == label)
                .unwrap_or(0)
        };
        let mut flows: Vec<SankeyFlow> = Vec::new();
        for (path, count) in pathways {
            for (col, pair) in path.windows(2).enumerate() {
                let (from, to) = (index(col, &pair[0]), index(col + 1, &pair[1]));
                match flows.iter_mut().find(|f| f.from == from && f.to == to) {
                    Some(f) => f.count += count,
                    None => flows.push(SankeyFlow {
                        from,
                        to,
                        count: *count,
                    }),
                }
            }
        }
        flows.sort_by(|a, b| a.from.cmp(&b.from).then(a.to.cmp(&b.to)));
        let mut columns = column_headers;
        while columns.len() < n_cols {
            columns.push(format!("Line {}", columns.len() + 1));
        }
        Ok(SankeyFigure {
            columns,
            nodes,
            flows,
            title: String::new(),
            style: Style::default(),
            plot_height: 320.0,
        })
    }

    /// Each node's size: the largest of its count, inflow and outflow.
    pub fn node_values(&self) -> Vec<f64> {
        let mut inflow = vec![0.0; self.nodes.len()];
        let mut outflow = vec![0.0; self.nodes.len()];
        for f in &self.flows {
            outflow[f.from] += f.count;
            inflow[f.to] += f.count;
        }
        self.nodes
            .iter()
            .zip(inflow.iter().zip(&outflow))
            .map(|(n, (a, b))| {
                let c = n.count.filter(|c| c.is_finite() && *c > 0.0).unwrap_or(0.0);
                a.max(*b).max(c)
            })
            .collect()
    }

    fn validate(&self) -> Result<usize, ReportError> {
        if self.nodes.is_empty() {
            return Err(ReportError::NoData("Sankey diagram".into()));
        }
        let n_cols = self.nodes.iter().map(|n| n.column).max().unwrap_or(0) + 1;
        if let Some(c) = self
            .nodes
            .iter()
            .filter_map(|n| n.count)
            .find(|c| !(c.is_finite() && *c >= 0.0))
        {
            return Err(invalid("Sankey node count", c));
        }
        for f in &self.flows {
            if f.from >= self.nodes.len() || f.to >= self.nodes.len() {
                return Err(ReportError::InvalidOption(format!(
                    "Sankey flow {} -> {} names a node that does not exist",
                    f.from, f.to
                )));
            }
            if self.nodes[f.to].column <= self.nodes[f.from].column {
                return Err(ReportError::InvalidOption(format!(
                    "Sankey flow from '{}' to '{}' does not go to a later column",
                    self.nodes[f.from].label, self.nodes[f.to].label
                )));
            }
            if !(f.count.is_finite() && f.count >= 0.0) {
                return Err(invalid("Sankey flow count", f.count));
            }
        }
        Ok(n_cols)
    }
}

impl Figure for SankeyFigure {
    fn to_svg(&self) -> Result<String, ReportError> {
        self.style.check()?;
        if !(self.plot_height.is_finite() && (50.0..=5000.0).contains(&self.plot_height)) {
            return Err(invalid("plot height", self.plot_height));
        }
        let n_cols = self.validate()?;
        let f = self.style.font_size;
        let values = self.node_values();
        let node_w = 14.0;
        let gap = f * 1.2;

        // One scale for all columns: the fullest column fills the height.
        let mut scale = f64::INFINITY;
        for c in 0..n_cols {
            let in_col: Vec<usize> = (0..self.nodes.len())
                .filter(|&i| self.nodes[i].column == c)
                .collect();
            let total: f64 = in_col.iter().map(|&i| values[i]).sum();
            let free = self.plot_height - gap * (in_col.len().saturating_sub(1)) as f64;
            if total > 0.0 {
                scale = scale.min(free.max(10.0) / total);
            }
        }
        if !scale.is_finite() {
            return Err(ReportError::NoData(
                "Sankey diagram (all counts are 0)".into(),
            ));
        }

        let labels: Vec<String> = self
            .nodes
            .iter()
            .zip(&values)
            .map(|(n, v)| format!("{} ({})", n.label, fmt_count(*v)))
            .collect();
        let last_col_w = max_width(
            self.nodes
                .iter()
                .zip(&labels)
                .filter(|(n, _)| n.column + 1 == n_cols)
                .map(|(_, l)| l.as_str()),
            f,
            false,
        );
        let other_w = max_width(
            self.nodes
                .iter()
                .zip(&labels)
                .filter(|(n, _)| n.column + 1 < n_cols)
                .map(|(_, l)| l.as_str()),
            f,
            false,
        );
        let left = 8.0;
        let right = 8.0 + last_col_w + 5.0;
        // A node's label sits in a gutter right of the node and its bands
        // leave from the gutter's end, so that no label lies on a band (the
        // labels once ran over the bands and the next column's nodes). The
        // figure widens when the style's width leaves a band less than
        // MIN_BAND pixels.
        const MIN_BAND: f64 = 60.0;
        let gutter = if n_cols > 1 { other_w + 10.0 } else { 0.0 };
        let steps = n_cols.saturating_sub(1) as f64;
        let needed = left + steps * (node_w + gutter + MIN_BAND) + node_w + right;
        let width = self.style.width.max(needed.ceil());
        let span = width - left - right - node_w;
        let col_x = |c: usize| {
            if n_cols == 1 {
                left
            } else {
                left + span * c as f64 / (n_cols - 1) as f64
            }
        };
        let title_h = if self.title.is_empty() { 0.0 } else { f * 2.0 };
        let header_y = 6.0 + title_h + f;
        let top = header_y + f * 0.8;
        let height = (top + self.plot_height + 10.0).ceil();

        // Node positions.
        let mut node_y = vec![0.0; self.nodes.len()];
        let mut node_h = vec![0.0; self.nodes.len()];
        for c in 0..n_cols {
            let mut y = top;
            for i in (0..self.nodes.len()).filter(|&i| self.nodes[i].column == c) {
                node_y[i] = y;
                node_h[i] = values[i] * scale;
                y += node_h[i] + gap;
            }
        }

        // Band offsets: out of a node in target order, into a node in
        // source order.
        let mut order: Vec<usize> = (0..self.flows.len()).collect();
        order.sort_by(|&a, &b| {
            let (fa, fb) = (&self.flows[a], &self.flows[b]);
            fa.from
                .cmp(&fb.from)
                .then(node_y[fa.to].total_cmp(&node_y[fb.to]))
        });
        let mut out_off = vec![0.0; self.nodes.len()];
        let mut y_out = vec![0.0; self.flows.len()];
        for &k in &order {
            let fl = &self.flows[k];
            y_out[k] = node_y[fl.from] + out_off[fl.from];
            out_off[fl.from] += fl.count * scale;
        }
        order.sort_by(|&a, &b| {
            let (fa, fb) = (&self.flows[a], &self.flows[b]);
            fa.to
                .cmp(&fb.to)
                .then(node_y[fa.from].total_cmp(&node_y[fb.from]))
        });
        let mut in_off = vec![0.0; self.nodes.len()];
        let mut y_in = vec![0.0; self.flows.len()];
        for &k in &order {
            let fl = &self.flows[k];
            y_in[k] = node_y[fl.to] + in_off[fl.to];
            in_off[fl.to] += fl.count * scale;
        }

        let mut colours = ClassColours::new();
        let node_colour: Vec<&'static str> = self
            .nodes
            .iter()
            .map(|n| end_state_colour(&n.label).unwrap_or_else(|| colours.colour(&n.label)))
            .collect();

        let title = if self.title.is_empty() {
            "Treatment sequences"
        } else {
            &self.title
        };
        let mut svg = Svg::new(width, height, "sankey", title, f);
        draw_title(&mut svg, &self.title, left, f);
        svg.open(
            "g",
            &[("class", &"column-headers"), ("font-weight", &"bold")],
        );
        for (c, header) in self.columns.iter().enumerate().take(n_cols) {
            svg.text(
                col_x(c),
                header_y,
                "start",
                header,
                &[("class", &"column-header")],
            );
        }
        svg.close();

        svg.open("g", &[("class", &"flows")]);
        for (k, fl) in self.flows.iter().enumerate() {
            if fl.count <= 0.0 {
                continue;
            }
            let h = fl.count * scale;
            let x0 = col_x(self.nodes[fl.from].column) + node_w + gutter;
            let x1 = col_x(self.nodes[fl.to].column);
            let xm = (x0 + x1) / 2.0;
            let (a, b) = (y_out[k], y_in[k]);
            let mut d = PathData::new();
            d.move_to(x0, a)
                .curve_to(xm, a, xm, b, x1, b)
                .v(b + h)
                .curve_to(xm, b + h, xm, a + h, x0, a + h)
                .close();
            let from = &self.nodes[fl.from].label;
            let to = &self.nodes[fl.to].label;
            svg.open(
                "path",
                &[
                    ("class", &"flow"),
                    ("data-from", from),
                    ("data-to", to),
                    ("data-from-column", &self.nodes[fl.from].column),
                    ("data-count", &fl.count),
                    ("d", &d),
                    ("fill", &node_colour[fl.from]),
                    ("fill-opacity", &0.4),
                    ("stroke", &"none"),
                ],
            );
            svg.title(&format!("{from} \u{2192} {to}: {}", fmt_count(fl.count)));
            svg.close();
        }
        // Counts where the bands enter their target (bands entering a node
        // are stacked, so their counts never overlap), on bands wide enough.
        for (k, fl) in self.flows.iter().enumerate() {
            let h = fl.count * scale;
            if fl.count <= 0.0 || h < f * 0.85 {
                continue;
            }
            let x1 = col_x(self.nodes[fl.to].column);
            let y = y_in[k] + h / 2.0;
            svg.text(
                x1 - 4.0,
                y + f * 0.3,
                "end",
                &fmt_count(fl.count),
                &[
                    ("class", &"flow-count"),
                    ("data-count", &fl.count),
                    ("font-size", &N(f * 0.85)),
                    ("stroke", &"#FFFFFF"),
                    ("stroke-width", &3),
                    ("paint-order", &"stroke"),
                ],
            );
        }
        svg.close();

        svg.open("g", &[("class", &"nodes")]);
        for (i, n) in self.nodes.iter().enumerate() {
            if values[i] <= 0.0 {
                continue;
            }
            let x = col_x(n.column);
            svg.empty(
                "rect",
                &[
                    ("class", &"node"),
                    ("data-label", &n.label),
                    ("data-column", &n.column),
                    ("data-count", &values[i]),
                    ("x", &N(x)),
                    ("y", &N(node_y[i])),
                    ("width", &N(node_w)),
                    ("height", &N(node_h[i].max(1.0))),
                    ("fill", &node_colour[i]),
                ],
            );
            let (tx, anchor) = (x + node_w + 5.0, "start");
            svg.text(
                tx,
                node_y[i] + node_h[i] / 2.0 + f * 0.35,
                anchor,
                &labels[i],
                &[
                    ("class", &"node-label"),
                    ("stroke", &"#FFFFFF"),
                    ("stroke-width", &3),
                    ("paint-order", &"stroke"),
                ],
            );
        }
        svg.close();
        Ok(svg.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::font::text_width;

    #[test]
    fn pathways_aggregate_into_nodes_and_flows() {
        let p = |v: &[&str], n: f64| (v.iter().map(|s| s.to_string()).collect::<Vec<_>>(), n);
        let s = SankeyFigure::from_pathways(
            vec!["Line 1".into(), "Line 2".into()],
            &[
                p(&["Chemotherapy", "Targeted"], 10.0),
                p(&["Chemotherapy", "Death"], 6.0),
                p(&["Interferon", "Targeted"], 5.0),
                p(&["Interferon"], 3.0),
            ],
        )
        .unwrap();
        let labels: Vec<(usize, &str)> = s
            .nodes
            .iter()
            .map(|n| (n.column, n.label.as_str()))
            .collect();
        assert_eq!(
            labels,
            vec![
                (0, "Chemotherapy"),
                (0, "Interferon"),
                (1, "Targeted"),
                (1, "Death")
            ]
        );
        // Interferon: 5 go on, 3 stop after line 1.
        assert_eq!(s.node_values(), vec![16.0, 8.0, 15.0, 6.0]);
        assert_eq!(s.flows.len(), 3);
        assert_eq!(s.columns.len(), 2);
    }

    #[test]
    fn labels_sit_left_of_the_bands_of_their_column() {
        let long = "Somatostatin analogue";
        let links = [
            (0, long.to_string(), "Targeted".to_string(), 40.0),
            (0, long.to_string(), "Death".to_string(), 12.0),
            (0, "Chemotherapy".to_string(), "Targeted".to_string(), 9.0),
            (1, "Targeted".to_string(), "Death".to_string(), 20.0),
        ];
        let s = SankeyFigure::from_links(
            vec!["Line 1".into(), "Line 2".into(), "After".into()],
            &links,
        )
        .unwrap();
        let svg = s.to_svg().unwrap();
        let f = s.style.font_size;
        // x where each label of column 0 ends.
        let label_end = |label: &str| -> f64 {
            let at = svg.find(&format!(">{label} (")).unwrap();
            let tag = &svg[svg[..at].rfind("<text").unwrap()..at];
            let x: f64 = tag
                .split("x=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let text = &svg[at + 1..at + svg[at..].find('<').unwrap()];
            x + text_width(text, f, false)
        };
        let end = label_end(long).max(label_end("Chemotherapy"));
        // Every band out of column 0 starts right of the labels.
        let mut starts = 0;
        for part in svg.split("data-from-column=\"0\"").skip(1) {
            let d = part.split("d=\"M ").nth(1).unwrap();
            let x0: f64 = d.split([',', ' ']).next().unwrap().parse().unwrap();
            assert!(x0 >= end, "band at {x0} under a label ending at {end}");
            starts += 1;
        }
        assert_eq!(starts, 3);
        // Nodes add up: column 0 holds the 61 patients of the links.
        let total: f64 = s
            .nodes
            .iter()
            .zip(s.node_values())
            .filter(|(n, _)| n.column == 0)
            .map(|(_, v)| v)
            .sum();
        assert_eq!(total, 61.0);
    }

    #[test]
    fn flows_must_go_forward() {
        let s = SankeyFigure {
            columns: vec![],
            nodes: vec![
                SankeyNode {
                    column: 1,
                    label: "a".into(),
                    count: None,
                },
                SankeyNode {
                    column: 0,
                    label: "b".into(),
                    count: None,
                },
            ],
            flows: vec![SankeyFlow {
                from: 0,
                to: 1,
                count: 3.0,
            }],
            title: String::new(),
            style: Style::default(),
            plot_height: 300.0,
        };
        assert!(s.to_svg().is_err());
    }
}
