//! A page router that knows its routes: the list the operations layer (every served
//! route is known) and the refusal table read is derived from the router itself.

use axum::handler::Handler;
use axum::routing::{get, post};
use axum::Router;

/// Pages of one domain, with the `METHOD /path` of each route registered.
pub struct Pages<S> {
    router: Router<S>,
    routes: Vec<String>,
}

impl<S> Default for Pages<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Pages<S>
where
    S: Clone + Send + Sync + 'static,
{
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            routes: Vec::new(),
        }
    }

    pub fn get<H, T>(mut self, path: &str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.routes.push(format!("GET {path}"));
        self.router = self.router.route(path, get(handler));
        self
    }

    pub fn post<H, T>(mut self, path: &str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.routes.push(format!("POST {path}"));
        self.router = self.router.route(path, post(handler));
        self
    }

    pub fn merge(mut self, other: Pages<S>) -> Self {
        self.routes.extend(other.routes);
        self.router = self.router.merge(other.router);
        self
    }

    /// A layer over the routes registered so far (a larger body limit for uploads).
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: tower_layer::Layer<axum::routing::Route> + Clone + Send + Sync + 'static,
        L::Service: tower_service::Service<axum::extract::Request> + Clone + Send + Sync + 'static,
        <L::Service as tower_service::Service<axum::extract::Request>>::Response:
            axum::response::IntoResponse + 'static,
        <L::Service as tower_service::Service<axum::extract::Request>>::Error:
            Into<std::convert::Infallible> + 'static,
        <L::Service as tower_service::Service<axum::extract::Request>>::Future: Send + 'static,
    {
        self.router = self.router.layer(layer);
        self
    }

    /// The router and its routes as `METHOD /path`.
    pub fn into_parts(self) -> (Router<S>, Vec<String>) {
        (self.router, self.routes)
    }

    pub fn routes(&self) -> &[String] {
        &self.routes
    }
}
