// Deliberately wrong: http may use OpenSSL for TLS only; its crypto is common's.
#include <openssl/hmac.h>
#include <openssl/ssl.h>
