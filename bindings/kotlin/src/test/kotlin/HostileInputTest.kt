// Hostile inputs through the generated Kotlin bindings on the JVM: lone surrogates, NUL bytes,
// 1 MB strings, edge ports, times before 1970 and past year 9999 (up to Instant.MIN / MAX),
// out-of-range lifetimes, garbage for inspect/verify, and the cache fed all of these.
//
// Every call must either succeed with a sane result (the token inspects back to its inputs and
// verifies with its secret) or throw TokenException with one of errorCodes(); never crash the
// JVM and never throw uniffi's InternalException (its panic path). Strings that are not valid
// UTF-16 (lone surrogates) cannot be encoded as UTF-8: uniffi's generated lowering rejects them
// with java.nio.charset.CharacterCodingException before anything reaches Rust; that is asserted
// as such. No exception text and no toString() may contain the secret or the session token.
//
// Ports are UShort (0..65535): an overflowing or negative port cannot be expressed in Kotlin,
// so only the edges 0 and 65535 are tested. Lifetimes are UInt: UInt.MAX_VALUE is the largest.
//
// Compiled together with VectorsTest.kt by scripts/stages/kotlin.sh and run as
//   java -Djna.library.path=<dir of libdbtoken_uniffi.so> -cp test.jar:jna.jar hostile.HostileInputTestKt
// Prints `ok <id>` / `FAIL <id>: why` per case and ends with `N passed, N failed`.
//
// `--known-issues` runs, instead, the cases that demonstrate open problems (not part of the stage).

package hostile

import dbtoken.*
import java.nio.charset.CharacterCodingException
import java.time.Instant

// Distinctive values: any of them in a message or a toString() is a leak.
const val SECRET = "hOsTiLe/SeCrEt+K3yMaTeRiAl0123456789QWERTY"
const val SESSION = "HoStIlE-SeSsIoN-ToKeN-9f8e7d6c5b4a3210ZYXWV"
val LEAKS = listOf(SECRET, SESSION, "hOsTiLe/SeCrEt", "HoStIlE-SeSsIoN")

const val AKID = "AKIDEXAMPLE"
const val HOST = "prod-instance.abc123xyz.us-east-1.rds.amazonaws.com"
const val T0 = 1_705_322_096L
const val MB = 1 shl 20

val LONE_HIGH = "a\uD800b"
val LONE_LOW = "\uDC00"
val NUL = "a\u0000b"
val BIG: String = "x".repeat(MB)

var passed = 0
var failed = 0
var surrogateRejections = 0
var tokenErrors = 0
var successes = 0

fun case(id: String, body: () -> Unit) {
    try {
        body()
        passed++
        println("ok $id")
    } catch (e: Throwable) {
        failed++
        // Never print a possibly huge or secret-bearing text: the class and a short prefix.
        println("FAIL $id: ${e::class.qualifiedName}: ${e.message?.take(300)}")
    }
}

fun expect(cond: Boolean, what: () -> String) {
    if (!cond) throw AssertionError(what())
}

fun at(seconds: Long): Instant = Instant.ofEpochSecond(seconds)

val allCodes: Set<String> by lazy { errorCodes().toSet() }

/** Fails if any text shown to a user or a log carries a secret. */
fun noLeak(what: String, text: String?, extra: List<String> = emptyList()) {
    if (text == null) return
    for (s in LEAKS + extra) {
        expect(!text.contains(s)) { "$what shows a secret (${s.take(12)}…)" }
    }
}

fun checkTokenException(e: TokenException, extra: List<String>) {
    val code = e.code()
    expect(code in allCodes) { "code '$code' not in errorCodes()" }
    expect(e.toString().startsWith("$code: ")) { "toString() is not 'code: message': ${e.toString().take(200)}" }
    expect(e.message().isNotEmpty()) { "empty message()" }
    noLeak("TokenException.toString()", e.toString(), extra)
    noLeak("TokenException.message", e.message, extra)
    noLeak("TokenException.message()", e.message(), extra)
    noLeak("TokenException.localizedMessage", e.localizedMessage, extra)
    noLeak("TokenException stack trace", e.stackTraceToString(), extra)
}

sealed class Outcome<out T> {
    data class Ok<T>(val value: T) : Outcome<T>()
    data class Err(val code: String) : Outcome<Nothing>()
    object BadUtf16 : Outcome<Nothing>()

    fun code(): String? = (this as? Err)?.code
}

/**
 * Runs [body]: a value, a TokenException (checked: known code, no leak) or, when [mayBeBadUtf16],
 * uniffi's CharacterCodingException for a string that is not valid UTF-16. Anything else (uniffi's
 * InternalException, an Error, a RuntimeException) propagates and fails the case.
 */
fun <T> attempt(mayBeBadUtf16: Boolean = false, extra: List<String> = emptyList(), body: () -> T): Outcome<T> =
    try {
        val v = body()
        successes++
        Outcome.Ok(v)
    } catch (e: TokenException) {
        checkTokenException(e, extra)
        tokenErrors++
        Outcome.Err(e.code())
    } catch (e: CharacterCodingException) {
        if (!mayBeBadUtf16) throw e
        noLeak("CharacterCodingException", e.toString(), extra)
        noLeak("CharacterCodingException stack trace", e.stackTraceToString(), extra)
        surrogateRejections++
        Outcome.BadUtf16
    }

fun creds(
    akid: String = AKID,
    secret: String = SECRET,
    session: String? = SESSION,
    expiresAt: Instant? = null,
) = Credentials(akid, secret, session, expiresAt)

fun rds(host: String = HOST, port: UShort = 5432u, user: String = "iam_user") = TokenTarget.Rds(host, port, user)

fun request(
    target: TokenTarget = rds(),
    credentials: Credentials = creds(),
    region: String? = "us-east-1",
    expiresIn: UInt = 900u,
) = TokenRequest(target, credentials, region, expiresIn)

/** A token that came out must be sane: no secret outside its text, inspects back, verifies. */
fun checkToken(
    t: AuthToken,
    req: TokenRequest,
    signingTime: Instant,
    secret: String,
    extra: List<String> = emptyList(),
) {
    noLeak("AuthToken.toString()", t.toString(), extra)
    noLeak("TokenRequest.toString()", req.toString(), extra)
    noLeak("Credentials.toString()", req.credentials.toString(), extra)
    expect(!t.toString().contains("X-Amz-Signature")) { "AuthToken.toString() shows the token" }
    eq(t.signingTime(), Instant.ofEpochSecond(signingTime.epochSecond), "signingTime")
    val max = if (req.target is TokenTarget.Dsql) 604_800u else 900u
    expect(t.expiresIn() in 1u..max && t.expiresIn() <= req.expiresIn) { "expiresIn ${t.expiresIn()}" }
    val text = t.text()
    expect(!text.contains(secret)) { "the token text contains the secret" }
    val info = inspect(text)
    eq(info.signingTime, t.signingTime(), "inspect signingTime")
    eq(info.expiresAt, t.expiresAt(), "inspect expiresAt")
    val target = req.target
    if (target is TokenTarget.Rds) {
        eq(info.host, target.hostname, "inspect host")
        eq(info.port, target.port, "inspect port")
        eq(info.user, target.username, "inspect user")
    }
    eq(info.accessKeyId, req.credentials.accessKeyId(), "inspect accessKeyId")
    eq(info.hasSessionToken, req.credentials.hasSessionToken(), "inspect hasSessionToken")
    eq(verify(text, secret, t.signingTime()).signature, info.signature, "verify with the secret")
    val wrong = attempt(extra = extra) { verify(text, secret + "x", t.signingTime()) }
    eq(wrong.code(), "signature_mismatch", "verify with another secret")
}

fun <T> eq(actual: T, expected: T, what: String) =
    expect(actual == expected) { "$what: expected <${expected.toString().take(80)}>, got <${actual.toString().take(80)}>" }

/** Signs and, on success, checks the token; returns the outcome's code (null on success). */
fun sign(req: () -> TokenRequest, signingTime: Instant = at(T0), mayBeBadUtf16: Boolean = false, secret: String = SECRET, extra: List<String> = emptyList()): Outcome<AuthToken> {
    val out = attempt(mayBeBadUtf16, extra) {
        val r = req()
        val t = generateToken(r, signingTime)
        checkToken(t, r, signingTime, secret, extra)
        t
    }
    // The same request through a cache: the same outcome.
    val cached = attempt(mayBeBadUtf16, extra) {
        val cache = TokenCache()
        val r = req()
        val t = cache.get(r, signingTime)
        noLeak("TokenCache.toString()", cache.toString(), extra)
        checkToken(t, r, signingTime, secret, extra)
        t
    }
    eq(cached::class, out::class, "cache outcome kind")
    eq(cached.code(), out.code(), "cache error code")
    return out
}

fun main(args: Array<String>) {
    if (args.contains("--known-issues")) {
        knownIssues()
        return
    }

    // ------------------------------------------------------------ lone surrogates (invalid UTF-16)
    val surrogateFields = mapOf<String, () -> TokenRequest>(
        "host" to { request(rds(host = LONE_HIGH)) },
        "user" to { request(rds(user = LONE_HIGH)) },
        "region" to { request(region = LONE_LOW) },
        "access-key-id" to { request(credentials = creds(akid = LONE_HIGH)) },
        "secret" to { request(credentials = creds(secret = SECRET + LONE_HIGH)) },
        "session-token" to { request(credentials = creds(session = SESSION + LONE_LOW)) },
        "dsql-host" to { request(TokenTarget.Dsql(LONE_HIGH, false)) },
        "elasticache-user" to { request(TokenTarget.Elasticache("cache", LONE_LOW, true)) },
        "memorydb-cluster" to { request(TokenTarget.Memorydb(LONE_HIGH, "u")) },
    )
    for ((field, req) in surrogateFields) {
        case("surrogate-$field") {
            val out = sign(req, mayBeBadUtf16 = true)
            expect(out is Outcome.BadUtf16 || out is Outcome.Err) { "accepted a lone surrogate: $out" }
        }
    }
    case("surrogate-inspect-verify-urlencode") {
        expect(attempt(true) { inspect(LONE_HIGH) } !is Outcome.Ok) { "inspect accepted a lone surrogate" }
        expect(attempt(true) { inspect(validToken() + LONE_LOW) } !is Outcome.Ok) { "inspect accepted a lone surrogate" }
        expect(attempt(true) { verify(validToken(), SECRET + LONE_HIGH, at(T0)) } !is Outcome.Ok) { "verify accepted a lone surrogate secret" }
        expect(attempt(true) { verify(validToken() + LONE_HIGH, SECRET, at(T0)) } !is Outcome.Ok) { "verify accepted a lone surrogate" }
        expect(attempt(true) { verifyNow(LONE_LOW, SECRET) } !is Outcome.Ok) { "verifyNow accepted a lone surrogate" }
        expect(attempt(true) { urlEncode(LONE_HIGH) } is Outcome.BadUtf16) { "urlEncode accepted a lone surrogate" }
        // A proper pair is fine.
        eq(urlEncode("\uD83D\uDE42"), "%F0%9F%99%82", "urlEncode of a surrogate pair")
    }

    // ------------------------------------------------------------ NUL bytes
    case("nul-host") {
        // Rejected as a control character (the core classes NUL with whitespace).
        eq(sign({ request(rds(host = "db\u0000.example.com")) }).code(), "host_has_whitespace", "code")
        eq(sign({ request(TokenTarget.Dsql("abc\u0000.dsql.us-east-1.on.aws", false)) }).code(), "host_has_whitespace", "dsql")
    }
    case("nul-user") {
        // A user name is data: it is percent-encoded (%00) and comes back from inspect.
        val out = sign({ request(rds(user = NUL)) })
        expect(out is Outcome.Ok) { "NUL user: $out" }
        expect((out as Outcome.Ok).value.text().contains("DBUser=a%00b")) { "NUL not percent-encoded" }
    }
    case("nul-region") {
        eq(sign({ request(region = "us-east-1\u0000") }).code(), "invalid_region", "code")
    }
    case("nul-access-key-id") {
        val out = sign({ request(credentials = creds(akid = "AKID\u0000EXAMPLE")) })
        expect(out is Outcome.Ok || out is Outcome.Err) { "$out" }
    }
    case("nul-secret") {
        val secret = SECRET + "\u0000tail"
        val out = sign({ request(credentials = creds(secret = secret)) }, secret = secret)
        expect(out is Outcome.Ok) { "NUL in the secret: $out" }
    }
    case("nul-session-token") {
        val session = SESSION + "\u0000tail"
        val out = sign({ request(credentials = creds(session = session)) })
        expect(out is Outcome.Ok || out is Outcome.Err) { "$out" }
    }
    case("nul-only-strings") {
        val n = "\u0000"
        for (r in listOf<() -> TokenRequest>(
            { request(rds(host = n)) },
            { request(rds(user = n)) },
            { request(region = n) },
            { request(credentials = creds(akid = n)) },
            { request(credentials = creds(secret = n)) },
        )) {
            val out = sign(r, secret = n)
            expect(out is Outcome.Ok || out is Outcome.Err) { "$out" }
        }
    }

    // ------------------------------------------------------------ 1 MB strings
    // The core does not limit the host's length (no 253-byte DNS limit): a 1 MB host signs, and
    // the token inspects back to it and verifies (checked in sign()).
    case("1mb-host") { expect(sign({ request(rds(host = BIG)) }) is Outcome.Ok) { "1 MB host" } }
    case("1mb-host-label") { expect(sign({ request(rds(host = BIG + ".example.com")) }) is Outcome.Ok) { "1 MB host" } }
    case("1mb-host-invalid-char") { eq(sign({ request(rds(host = BIG + "/")) }).code(), "host_has_path", "code") }
    case("1mb-user") { expect(sign({ request(rds(user = BIG)) }) !is Outcome.BadUtf16) { "?" } }
    case("1mb-region") { eq(sign({ request(region = BIG) }).code(), "invalid_region", "code") }
    case("1mb-access-key-id") { expect(sign({ request(credentials = creds(akid = BIG)) }) !is Outcome.BadUtf16) { "?" } }
    case("1mb-secret") {
        val secret = "hOsTiLe/SeCrEt" + BIG
        val out = sign({ request(credentials = creds(secret = secret)) }, secret = secret)
        expect(out is Outcome.Ok) { "1 MB secret: $out" }
    }
    case("1mb-session-token") {
        val session = "HoStIlE-SeSsIoN" + BIG
        expect(sign({ request(credentials = creds(session = session)) }) !is Outcome.BadUtf16) { "?" }
    }
    case("1mb-multibyte-user") {
        // 1 MB of 4-byte UTF-8 (surrogate pairs on the JVM side).
        expect(sign({ request(rds(user = "\uD83D\uDE42".repeat(MB / 4))) }) !is Outcome.BadUtf16) { "?" }
    }

    // ------------------------------------------------------------ ports (UShort: 0..65535 only)
    case("port-0") { eq(sign({ request(rds(port = 0u)) }).code(), "invalid_port", "code") }
    case("port-65535") {
        val out = sign({ request(rds(port = 65535u)) })
        expect(out is Outcome.Ok && inspect(out.value.text()).port == 65535.toUShort()) { "port 65535: $out" }
    }
    case("port-from-negative-int") {
        // (-1).toUShort() is 65535: Kotlin's conversion, not ours; it reaches Rust as 65535.
        val out = sign({ request(rds(port = (-1).toUShort())) })
        expect(out is Outcome.Ok && inspect(out.value.text()).port == 65535.toUShort()) { "$out" }
    }

    // ------------------------------------------------------------ signing times
    val badSigningTimes = mapOf(
        "before-1970" to at(-1),
        "before-1970-far" to at(-62_135_596_800), // year 1
        "instant-min" to Instant.MIN,
        "year-10000" to Instant.parse("+10000-01-01T00:00:00Z"),
        "instant-max" to Instant.MAX,
        "long-max-ms" to Instant.ofEpochMilli(Long.MAX_VALUE),
    )
    for ((name, t) in badSigningTimes) {
        case("signing-time-$name") {
            eq(sign({ request() }, signingTime = t).code(), "invalid_signing_time", "code")
            for (target in listOf(TokenTarget.Dsql("abc.dsql.us-east-1.on.aws", true), TokenTarget.Memorydb("c", "u"))) {
                eq(sign({ request(target) }, signingTime = t).code(), "invalid_signing_time", "code")
            }
        }
    }
    case("signing-time-edges") {
        expect(sign({ request() }, signingTime = at(0)) is Outcome.Ok) { "epoch" }
        expect(sign({ request() }, signingTime = Instant.parse("9999-12-31T23:44:59Z")) is Outcome.Ok) { "last signable second" }
        // Sub-second parts are truncated.
        val out = sign({ request() }, signingTime = Instant.ofEpochSecond(T0, 999_999_999))
        expect(out is Outcome.Ok && out.value.signingTime() == at(T0)) { "$out" }
    }

    // ------------------------------------------------------------ credentials expiry
    case("credentials-expiry-before-1970") {
        for (t in listOf(at(-1), Instant.MIN)) {
            eq(sign({ request(credentials = creds(expiresAt = t)) }).code(), "credentials_expired", "code")
            eq(creds(expiresAt = t).expiresAt(), at(0), "expiresAt of a pre-1970 expiry")
        }
    }
    case("credentials-expiry-far-future") {
        for (t in listOf(Instant.parse("+10000-01-01T00:00:00Z"), Instant.MAX, Instant.ofEpochMilli(Long.MAX_VALUE))) {
            val out = sign({ request(credentials = creds(expiresAt = t)) })
            expect(out is Outcome.Ok && out.value.expiresIn() == 900u) { "expiry $t: $out" }
            // Reading it back must not throw (the value is beyond what the core hands out).
            attempt { creds(expiresAt = t).expiresAt() }
        }
    }
    case("credentials-expiry-equals-signing-time") {
        eq(sign({ request(credentials = creds(expiresAt = at(T0))) }).code(), "credentials_expired", "code")
        val out = sign({ request(credentials = creds(expiresAt = at(T0 + 1))) })
        expect(out is Outcome.Ok && out.value.expiresIn() == 1u) { "$out" }
    }

    // ------------------------------------------------------------ lifetimes
    case("expires-in") {
        eq(sign({ request(expiresIn = 0u) }).code(), "expiry_out_of_range", "0")
        eq(sign({ request(expiresIn = 901u) }).code(), "expiry_out_of_range", "901")
        eq(sign({ request(expiresIn = UInt.MAX_VALUE) }).code(), "expiry_out_of_range", "UInt.MAX_VALUE")
        eq(sign({ request(expiresIn = Int.MAX_VALUE.toUInt() + 1u) }).code(), "expiry_out_of_range", "2^31")
        val dsql = TokenTarget.Dsql("abc.dsql.us-east-1.on.aws", false)
        val out = sign({ request(dsql, expiresIn = 901u) })
        expect(out is Outcome.Ok && out.value.expiresIn() == 901u) { "dsql 901: $out" }
        eq(sign({ request(dsql, expiresIn = 604_801u) }).code(), "expiry_out_of_range", "dsql 604801")
        eq(sign({ request(dsql, expiresIn = UInt.MAX_VALUE) }).code(), "expiry_out_of_range", "dsql UInt.MAX_VALUE")
    }

    // ------------------------------------------------------------ the cache
    case("cache-hostile") {
        for (margin in listOf(0uL, 899uL, 900uL, ULong.MAX_VALUE)) {
            val cache = TokenCache(margin)
            eq(cache.refreshMarginSeconds(), margin, "refreshMarginSeconds")
            val a = attempt { cache.get(request(), at(T0)) }
            expect(a is Outcome.Ok) { "margin $margin: $a" }
            val b = attempt { cache.get(request(), at(T0 + 1)) }
            expect(b is Outcome.Ok) { "margin $margin: $b" }
            for (t in listOf(Instant.MIN, at(-1), Instant.MAX, Instant.parse("+10000-01-01T00:00:00Z"))) {
                eq(attempt { cache.get(request(), t) }.code(), "invalid_signing_time", "cache.get at $t")
            }
            eq(attempt { cache.get(request(expiresIn = 0u), at(T0)) }.code(), "expiry_out_of_range", "expiresIn 0")
            eq(attempt { cache.get(request(rds(host = BIG + "?")), at(T0)) }.code(), "host_has_query", "1 MB host")
            eq(attempt { cache.get(request(rds(user = BIG)), at(T0)) } is Outcome.Ok, true, "1 MB user")
            eq(attempt(true) { cache.get(request(rds(user = LONE_HIGH)), at(T0)) } is Outcome.BadUtf16, true, "surrogate")
            noLeak("TokenCache.toString()", cache.toString())
            // Still usable after all of that.
            expect(attempt { cache.get(request(), at(T0 + 2)) } is Outcome.Ok) { "cache unusable after errors" }
            cache.clear()
        }
    }

    // ------------------------------------------------------------ inspect / verify on garbage
    case("inspect-verify-garbage") {
        val good = validToken()
        val garbage = listOf(
            "",
            "\u0000",
            "\u0000".repeat(1000),
            BIG,
            "A".repeat(MB) + "?Action=connect",
            good + "&" + "x".repeat(MB),
            good.replace("?", "?\u0000"),
            good.replace("X-Amz-Signature=", "X-Amz-Signature=\u0000"),
            good.substring(0, good.length / 2),
            good.replace("X-Amz-Date=", "X-Amz-Date=99999999T999999Z&X-Amz-Foo="),
            good.replace(Regex("X-Amz-Expires=\\d+"), "X-Amz-Expires=99999999999999999999"),
            good.replace(Regex("X-Amz-Expires=\\d+"), "X-Amz-Expires=-1"),
            good.replace(Regex("X-Amz-Date=\\d{8}T\\d{6}Z"), "X-Amz-Date=99991231T235959Z"),
            good.replace(Regex("X-Amz-Date=\\d{8}T\\d{6}Z"), "X-Amz-Date=00000000T000000Z"),
            "\uFFFF\uFFFE\u0000%FF%FE%00",
            "%".repeat(MB),
            "&=".repeat(MB / 2),
        )
        for (g in garbage) {
            val i = attempt { inspect(g) }
            val v = attempt { verify(g, SECRET, at(T0)) }
            // Garbage never verifies with the secret it was not signed with.
            expect(v !is Outcome.Ok) { "verify accepted garbage (${g.take(40)})" }
            if (i is Outcome.Ok) noLeak("TokenInfo", i.value.toString())
            for (now in listOf(Instant.MIN, at(-1), Instant.MAX)) {
                expect(attempt { verify(g, SECRET, now) } !is Outcome.Ok) { "verify accepted garbage" }
            }
        }
        // The good token at hostile "now"s: not yet valid / expired, never a crash.
        eq(attempt { verify(good, SECRET, Instant.MIN) }.code(), "token_not_yet_valid", "verify at Instant.MIN")
        eq(attempt { verify(good, SECRET, at(-1)) }.code(), "token_not_yet_valid", "verify before 1970")
        eq(attempt { verify(good, SECRET, Instant.MAX) }.code(), "token_expired", "verify at Instant.MAX")
        eq(attempt { verify(good, SECRET, Instant.parse("+10000-01-01T00:00:00Z")) }.code(), "token_expired", "verify at year 10000")
        eq(attempt { verify(good, "", at(T0)) }.code(), "empty_secret_access_key", "verify with an empty secret")
        for (secret in listOf("\u0000", BIG, SECRET + "x\u0000", "\u0000" + SECRET)) {
            eq(attempt { verify(good, secret, at(T0)) }.code(), "signature_mismatch", "verify with a wrong secret")
        }
        // HMAC pads keys shorter than a block with zero bytes, so a secret and the same secret
        // followed by NULs are the same key (SigV4 itself, not this library; AWS behaves alike).
        eq(attempt { verify(good, SECRET + "\u0000", at(T0)) } is Outcome.Ok, true, "secret + NUL (HMAC key padding)")
        eq(verify(good, SECRET, at(T0)).accessKeyId, AKID, "still verifies")
    }

    // ------------------------------------------------------------ urlEncode
    case("url-encode-hostile") {
        eq(urlEncode("a\u0000b"), "a%00b", "NUL")
        val big = urlEncode(BIG)
        eq(big.length, MB, "1 MB of unreserved characters")
        eq(urlEncode("%".repeat(MB)).length, 3 * MB, "1 MB to encode")
    }

    // ------------------------------------------------------------ toString of everything holding secrets
    case("redaction-hostile") {
        for (c in listOf(
            creds(),
            creds(secret = SECRET + "\u0000", session = SESSION + "\u0000"),
            creds(secret = "hOsTiLe/SeCrEt" + BIG, session = "HoStIlE-SeSsIoN" + BIG, expiresAt = Instant.MAX),
            creds(expiresAt = Instant.MIN),
        )) {
            noLeak("Credentials.toString()", c.toString())
            expect(c.toString().length < 1000) { "Credentials.toString() is ${c.toString().length} chars" }
            noLeak("TokenRequest.toString()", request(credentials = c).toString())
        }
    }

    // The library is still fine after all of the above.
    case("still-alive") {
        val t = generateToken(request(), at(T0))
        eq(verify(t.text(), SECRET, at(T0)).accessKeyId, AKID, "verify")
    }

    println("outcomes: $successes successes, $tokenErrors TokenException, $surrogateRejections rejected as invalid UTF-16 before the call")
    println("$passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}

fun validToken(): String = generateToken(request(), at(T0)).text()

/** Open problems, demonstrated; not run by the stage (see the project's issue tracker). */
fun knownIssues() {
    // uniffi's Kotlin Timestamp lowering writes sign * whole seconds and the positive nanos: an
    // Instant in (-1 s, 0) is sent as +nanos, so a pre-1970 signing time is accepted as 1970.
    case("known-signing-time-just-before-1970") {
        val out = attempt { generateToken(request(), Instant.ofEpochSecond(-1, 500_000_000)) }
        eq(out.code(), "invalid_signing_time", "signing 0.5 s before 1970")
    }
    println("$passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
