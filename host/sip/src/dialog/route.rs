//! The route set of a dialog and where its requests go (RFC 3261 sections
//! 12.2.1.1 and 16.12).
//!
//! Proxies that Record-Route stay on the path of every in-dialog request.
//! A loose router (`;lr`, RFC 3261) leaves the Request-URI alone and is
//! addressed by Route headers; a strict router (RFC 2543) expects itself
//! in the Request-URI, so the UAC must put it there and move the remote
//! target to the last Route.

use super::uri_of;
use crate::message::Headers;

/// Ordered Route values (name-addrs, e.g. `<sip:p1.example.com;lr>`), the
/// first being the next hop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteSet {
    routes: Vec<String>,
}

impl RouteSet {
    /// An empty route set (no proxy recorded a route).
    pub fn empty() -> Self {
        RouteSet::default()
    }

    /// The UAS's route set: the request's Record-Route values in order
    /// (12.1.1). Each proxy adds itself on top, so the top entry is the
    /// proxy nearest the UAS, which is the first hop of its own requests.
    pub fn for_uas(request_headers: &Headers) -> Self {
        RouteSet {
            routes: request_headers
                .get_all("Record-Route")
                .map(|v| v.trim().to_string())
                .collect(),
        }
    }

    /// The UAC's route set: the response's Record-Route values reversed
    /// (12.1.2), because the top entry is the proxy nearest the UAS while
    /// the UAC's next hop is the one nearest itself.
    pub fn for_uac(response_headers: &Headers) -> Self {
        let mut routes: Vec<String> = response_headers
            .get_all("Record-Route")
            .map(|v| v.trim().to_string())
            .collect();
        routes.reverse();
        RouteSet { routes }
    }

    /// A route set from explicit values (next hop first).
    pub fn from_values<I: IntoIterator<Item = S>, S: Into<String>>(values: I) -> Self {
        RouteSet {
            routes: values.into_iter().map(Into::into).collect(),
        }
    }

    /// The values, next hop first.
    pub fn values(&self) -> &[String] {
        &self.routes
    }

    /// No route recorded.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Request-URI and Route header values for a request to
    /// `remote_target` (12.2.1.1): with no route set, the remote target
    /// and no Route; if the first route is a loose router (`;lr`), the
    /// remote target and every route; otherwise (strict router) the first
    /// route's URI as Request-URI, the other routes, and the remote target
    /// appended as the last Route.
    pub fn destination(&self, remote_target: &str) -> (String, Vec<String>) {
        let Some(first) = self.routes.first() else {
            return (remote_target.to_string(), Vec::new());
        };
        let first_uri = uri_of(first);
        if is_loose(first_uri) {
            return (remote_target.to_string(), self.routes.clone());
        }
        let mut routes: Vec<String> = self.routes[1..].to_vec();
        routes.push(format!("<{remote_target}>"));
        (request_uri_form(first_uri), routes)
    }
}

/// Whether a SIP URI carries the `lr` parameter (a loose router).
pub fn is_loose(uri: &str) -> bool {
    let uri = uri.split('?').next().unwrap_or(uri);
    // Parameters follow the host; a `;` in the user part is not one.
    let host_part = uri.rsplit_once('@').map_or(uri, |(_, h)| h);
    host_part.split(';').skip(1).any(|p| {
        p.split('=')
            .next()
            .is_some_and(|k| k.trim().eq_ignore_ascii_case("lr"))
    })
}

/// A URI as a Request-URI: headers (`?...`) and `method` are not allowed
/// there (RFC 3261 19.1.1 table), so they are stripped.
fn request_uri_form(uri: &str) -> String {
    let uri = uri.split('?').next().unwrap_or(uri);
    uri.split(';')
        .enumerate()
        .filter(|(i, p)| {
            *i == 0
                || !p
                    .split('=')
                    .next()
                    .is_some_and(|k| k.trim().eq_ignore_ascii_case("method"))
        })
        .map(|(_, p)| p)
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lr_detection_ignores_user_part_and_headers() {
        assert!(is_loose("sip:p1.example.com;lr"));
        assert!(is_loose("sip:p1.example.com;transport=tcp;LR"));
        assert!(!is_loose("sip:a;lr@p1.example.com"));
        assert!(!is_loose("sip:p1.example.com?lr"));
        assert!(!is_loose("sip:p1.example.com;lra=1"));
    }

    #[test]
    fn strict_router_request_uri_drops_headers_and_method() {
        let set = RouteSet::from_values(["<sip:p1.example.com;method=INVITE?h=1>"]);
        let (uri, routes) = set.destination("sip:bob@10.0.0.2");
        assert_eq!(uri, "sip:p1.example.com");
        assert_eq!(routes, vec!["<sip:bob@10.0.0.2>".to_string()]);
    }
}
