//! Service credentials: client_credentials tokens, and the platform's client for them.

use jsonwebtoken::Algorithm;

use crate::support::*;

#[tokio::test]
async fn services_get_tokens_with_client_credentials() {
    let app = app().await;
    let (status, body) = token(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "billing"),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("refresh_token").is_none());
    let header = jsonwebtoken::decode_header(s(&body, "access_token")).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    // A service is not a user: /me is for people.
    assert_eq!(me(&app, s(&body, "access_token")).await.0, 403);

    // HTTP Basic client authentication (RFC 6749 §2.3.1) works too.
    let res = app
        .http
        .post(app.url("/v1/token"))
        .basic_auth("billing", Some(SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The platform's client caches it and the verifier accepts it as a service token.
    let tokens = odmu_authn::ServiceTokens::new(odmu_authn::ServiceTokenConfig {
        auth_url: app.base_url.clone(),
        client_id: "billing".into(),
        client_secret: odmu_config::Secret::new(SECRET.into()),
    });
    let bearer = tokens.bearer().await.unwrap();
    // As contractual verifies it: billing calls contractual.
    let verifier_of = |service: &str| {
        odmu_authn::Verifier::new(odmu_authn::AuthConfig {
            service: Some(service.to_owned()),
            ..odmu_authn::AuthConfig::from_env(&odmu_config::Env::from_pairs([(
                "AUTH_URL",
                app.base_url.as_str(),
            )]))
            .unwrap()
        })
    };
    let claims = verifier_of("odmu_contractual")
        .verify(&bearer)
        .await
        .unwrap();
    assert_eq!(claims.sub, "billing");
    assert_eq!(claims.role, odmu_authn::Role::Service);
    assert_eq!(claims.aud, ["odmu_contractual", "odmu_auth"]);
    // driver_api does not take billing's token: billing never calls it.
    assert_eq!(
        verifier_of("driver_api").verify(&bearer).await,
        Err(odmu_authn::AuthError::Invalid)
    );

    let (status, body) = token(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "driver_api"),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!((status, s(&body, "error")), (401, "invalid_client"));
}
