//! The OpenAPI operations of a [`Crud`] resource, built from the same
//! constants its routes use, so the document cannot drift from the router.

use super::Crud;
use super::handlers::{collection_path, item_path};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder, Schema};

/// A path parameter holding a UUID.
pub fn uuid_param(name: &str, what: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(format!("Id of the {what} (a UUID)")))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::Custom("uuid".into()))),
        ))
        .build()
}

/// The `limit` and `offset` query parameters.
pub fn page_params() -> Vec<utoipa::openapi::path::Parameter> {
    let int = |min: f64, max: Option<f64>| {
        let b = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(min));
        match max {
            Some(m) => b.maximum(Some(m)),
            None => b,
        }
    };
    vec![
        ParameterBuilder::new()
            .name("limit")
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some("Items per page, 1 to 500 (default 50)"))
            .schema(Some(int(1.0, Some(500.0))))
            .build(),
        ParameterBuilder::new()
            .name("offset")
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some("Items to skip (default 0)"))
            .schema(Some(int(0.0, Some(i64::MAX as f64))))
            .build(),
    ]
}

fn object() -> Schema {
    ObjectBuilder::new().schema_type(Type::Object).into()
}

/// A page of objects.
pub fn page_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("items", ArrayBuilder::new().items(RefOr::T(object())))
        .required("items")
        .property("total", ObjectBuilder::new().schema_type(Type::Integer))
        .required("total")
        .property("limit", ObjectBuilder::new().schema_type(Type::Integer))
        .property("offset", ObjectBuilder::new().schema_type(Type::Integer))
        .into()
}

/// A JSON response of `schema`.
pub fn json_response(description: &str, schema: Schema) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new().schema(Some(schema)).build(),
    )
}

/// An error response with the API's error body.
pub fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// Add the error responses every authenticated endpoint may give.
pub fn with_errors(mut op: OperationBuilder, body: bool) -> OperationBuilder {
    op = op
        .response("401", error_response("Not signed in (`unauthorized`)"))
        .response(
            "403",
            error_response(
                "Role not allowed (`forbidden`) or missing CSRF header (`csrf_required`)",
            ),
        )
        .response(
            "404",
            error_response("No such tenant or item in your tenant (`not_found`)"),
        )
        .response(
            "400",
            error_response("Invalid id, query or body (`invalid_field`, `malformed_json`)"),
        );
    if body {
        op = op
            .response(
                "409",
                error_response("Clashes with existing data (`conflict`)"),
            )
            .response(
                "413",
                error_response("Body over the limit (`payload_too_large`)"),
            )
            .response(
                "415",
                error_response("Body not JSON (`unsupported_media_type`)"),
            )
            .response(
                "422",
                error_response("A tenant limit is reached (`limit_reached`)"),
            );
    }
    op
}

/// Add the five operations of `R` to `api`.
pub fn document<R: Crud>(api: &mut OpenApi) {
    let tag = R::SEGMENT;
    let name = R::NAME;
    let body = || {
        Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(object()))
                        .example(Some(R::example()))
                        .build(),
                )
                .build(),
        )
    };
    let tenant = uuid_param("tenant_id", "tenant");
    let id = uuid_param("id", name);
    let op = |verb: &str, summary: String| {
        OperationBuilder::new()
            .tag(tag)
            .operation_id(Some(format!("{verb}_{}", tag.replace('-', "_"))))
            .summary(Some(summary))
            .security(utoipa::openapi::security::SecurityRequirement::new::<
                _,
                _,
                &str,
            >("bearer", []))
    };
    let list = with_errors(op("list", format!("List the tenant's {tag}")), false)
        .parameter(tenant.clone())
        .parameters(Some(page_params()))
        .response("200", json_response("A page", page_schema()).build());
    let create = with_errors(op("create", format!("Create a {name}")), true)
        .parameter(tenant.clone())
        .request_body(body())
        .response("201", json_response("Created", object()).build());
    let get = with_errors(op("get", format!("Read a {name}")), false)
        .parameter(tenant.clone())
        .parameter(id.clone())
        .response("200", json_response("The item", object()).build());
    let put = with_errors(op("replace", format!("Replace a {name}")), true)
        .parameter(tenant.clone())
        .parameter(id.clone())
        .request_body(body())
        .response("200", json_response("The item as stored", object()).build());
    let delete = with_errors(op("delete", format!("Delete a {name}")), false)
        .parameter(tenant)
        .parameter(id)
        .response("204", ResponseBuilder::new().description("Deleted").build())
        .response("409", error_response("Still in use (`conflict`)"));
    let paths = &mut api.paths;
    paths.add_path_operation(collection_path::<R>(), vec![HttpMethod::Get], list);
    paths.add_path_operation(collection_path::<R>(), vec![HttpMethod::Post], create);
    paths.add_path_operation(item_path::<R>(), vec![HttpMethod::Get], get);
    paths.add_path_operation(item_path::<R>(), vec![HttpMethod::Put], put);
    paths.add_path_operation(item_path::<R>(), vec![HttpMethod::Delete], delete);
}
