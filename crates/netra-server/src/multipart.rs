//! A small reader of `multipart/form-data` bodies (RFC 7578): what a
//! browser sends for a form with a file field. The web upload
//! ([`crate::upload`]) and the CSRF check of the guard read its parts.
//! Written here rather than taken from a crate because a form of a few
//! fields and files needs no streaming, and the whole body is already in
//! memory under the upload's size limit.

/// One part of the body: a field or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The field name.
    pub name: String,
    /// The file's name (without any directory), for a file.
    pub filename: Option<String>,
    /// The content.
    pub data: Vec<u8>,
}

impl Part {
    /// The content as text (a field), lossily.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// Parts above this number are refused.
pub const MAX_PARTS: usize = 64;

/// The boundary of a `multipart/form-data` content type, if it is one.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The value of parameter `key` in a `Content-Disposition` header value
/// (quoted or not).
fn param(header: &str, key: &str) -> Option<String> {
    let mut rest = header;
    while let Some(i) = rest.find(';') {
        rest = &rest[i + 1..];
        let t = rest.trim_start();
        let Some((k, v)) = t.split_once('=') else {
            continue;
        };
        if !k.trim().eq_ignore_ascii_case(key) {
            continue;
        }
        let v = v.trim_start();
        if let Some(q) = v.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = q.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.extend(chars.next()),
                    '"' => return Some(out),
                    c => out.push(c),
                }
            }
            return None;
        }
        return Some(v.split(';').next().unwrap_or_default().trim().to_string());
    }
    None
}

/// The parts of `body`, or why it is not a well-formed form body.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let delimiter = format!("--{boundary}").into_bytes();
    let bad = |why: &str| Err(format!("malformed upload: {why}"));
    let Some(mut pos) = find(body, &delimiter, 0) else {
        return bad("no part");
    };
    let mut parts = Vec::new();
    loop {
        pos += delimiter.len();
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        if !body[pos..].starts_with(b"\r\n") {
            return bad("a boundary is not followed by a line break");
        }
        pos += 2;
        let Some(end_headers) = find(body, b"\r\n\r\n", pos) else {
            return bad("a part has no end of headers");
        };
        let headers = String::from_utf8_lossy(&body[pos..end_headers]).into_owned();
        let data_start = end_headers + 4;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let Some(data_end) = find(body, &closing, data_start) else {
            return bad("a part is not closed");
        };
        let disposition = headers
            .split("\r\n")
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case("content-disposition")
                    .then(|| v.trim().to_string())
            })
            .unwrap_or_default();
        let Some(name) = param(&disposition, "name") else {
            return bad("a part has no name");
        };
        let filename = param(&disposition, "filename").map(|f| {
            // Some browsers send the whole path.
            f.rsplit(['/', '\\']).next().unwrap_or_default().to_string()
        });
        parts.push(Part {
            name,
            filename,
            data: body[data_start..data_end].to_vec(),
        });
        if parts.len() > MAX_PARTS {
            return bad("too many parts");
        }
        pos = data_end + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_files_are_read() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"C:\\\\data\\\\patients.csv\"\r\n\
Content-Type: text/csv\r\n\r\npatient,site\r\np1,a\r\n\r\n--XyZ--\r\n";
        let b = boundary("multipart/form-data; boundary=XyZ").unwrap();
        let parts = parse(body, &b).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "_csrf");
        assert_eq!(parts[0].text(), "tok");
        assert_eq!(parts[1].filename.as_deref(), Some("patients.csv"));
        assert_eq!(parts[1].data, b"patient,site\r\np1,a\r\n");
    }

    #[test]
    fn malformed_bodies_are_refused_not_panicked_on() {
        let b = "B";
        for body in [
            &b""[..],
            b"--B",
            b"--Bx",
            b"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--",
            b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
            b"--B\r\nno headers end",
        ] {
            assert!(parse(body, b).is_err(), "{}", String::from_utf8_lossy(body));
        }
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        assert_eq!(boundary("multipart/form-data"), None);
    }
}
