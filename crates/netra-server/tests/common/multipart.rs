//! `multipart/form-data` bodies of the upload forms (`/import`), built by
//! hand so that a test controls every byte the server parses.

/// The boundary of every body built here.
pub const BOUNDARY: &str = "----netraTestBoundary7MA4YWxk";

/// The `content-type` header of a body built here.
pub fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// One part of a body: a form field, or a file with its name and type.
pub enum Part<'a> {
    /// A field (name, value).
    Field(&'a str, &'a [u8]),
    /// A file (field name, file name, content type, bytes).
    File(&'a str, &'a str, &'a str, &'a [u8]),
}

/// The body of `parts`, in order.
pub fn body(parts: &[Part]) -> Vec<u8> {
    let mut b = Vec::new();
    for part in parts {
        b.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let data = match part {
            Part::Field(name, data) => {
                b.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                data
            }
            Part::File(name, file, kind, data) => {
                b.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: {kind}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                data
            }
        };
        b.extend_from_slice(data);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}
