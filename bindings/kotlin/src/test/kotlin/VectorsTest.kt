// Runs tests/vectors/tokens.json and errors.json (and the cache, redaction and clock checks)
// against the generated Kotlin bindings on the JVM. No test framework: compiled with kotlinc and
// run with `java` by scripts/stages/kotlin.sh. Prints `ok <id>` / `FAIL <id>: why` per case and
// ends with `N passed, N failed`.
//
// Usage: java -Djna.library.path=<dir of libdbtoken_uniffi.so> -cp test.jar:jna.jar VectorsTestKt <tests/vectors>

import dbtoken.*
import java.io.File
import java.net.URLEncoder
import java.time.Instant

// ------------------------------------------------------------------ a minimal JSON reader

class Json(private val s: String) {
    private var i = 0

    fun parse(): Any? {
        val v = value()
        ws()
        check(i == s.length) { "trailing data at $i" }
        return v
    }

    private fun ws() {
        while (i < s.length && s[i].isWhitespace()) i++
    }

    private fun value(): Any? {
        ws()
        return when (val c = s[i]) {
            '{' -> obj()
            '[' -> arr()
            '"' -> str()
            't' -> lit("true", true)
            'f' -> lit("false", false)
            'n' -> lit("null", null)
            else -> if (c == '-' || c.isDigit()) num() else error("unexpected '$c' at $i")
        }
    }

    private fun lit(word: String, v: Any?): Any? {
        check(s.startsWith(word, i)) { "bad literal at $i" }
        i += word.length
        return v
    }

    private fun num(): Any {
        val start = i
        while (i < s.length && (s[i] == '-' || s[i] == '+' || s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i].isDigit())) i++
        val t = s.substring(start, i)
        return t.toLongOrNull() ?: t.toDouble()
    }

    private fun str(): String {
        val b = StringBuilder()
        i++ // opening quote
        while (true) {
            val c = s[i++]
            when (c) {
                '"' -> return b.toString()
                '\\' -> {
                    when (val e = s[i++]) {
                        '"' -> b.append('"')
                        '\\' -> b.append('\\')
                        '/' -> b.append('/')
                        'b' -> b.append('\b')
                        'f' -> b.append('\u000C')
                        'n' -> b.append('\n')
                        'r' -> b.append('\r')
                        't' -> b.append('\t')
                        'u' -> {
                            b.append(s.substring(i, i + 4).toInt(16).toChar()) // surrogates pair up in the StringBuilder
                            i += 4
                        }
                        else -> error("bad escape \\$e at $i")
                    }
                }
                else -> b.append(c)
            }
        }
    }

    private fun arr(): List<Any?> {
        val out = mutableListOf<Any?>()
        i++
        ws()
        if (s[i] == ']') { i++; return out }
        while (true) {
            out.add(value())
            ws()
            when (s[i++]) {
                ',' -> continue
                ']' -> return out
                else -> error("expected , or ] at ${i - 1}")
            }
        }
    }

    private fun obj(): Map<String, Any?> {
        val out = LinkedHashMap<String, Any?>()
        i++
        ws()
        if (s[i] == '}') { i++; return out }
        while (true) {
            ws()
            val k = str()
            ws()
            check(s[i++] == ':') { "expected : at ${i - 1}" }
            out[k] = value()
            ws()
            when (s[i++]) {
                ',' -> continue
                '}' -> return out
                else -> error("expected , or } at ${i - 1}")
            }
        }
    }
}

@Suppress("UNCHECKED_CAST")
fun Any?.obj() = this as Map<String, Any?>
@Suppress("UNCHECKED_CAST")
fun Any?.list() = this as List<Any?>
fun Any?.str() = this as String
fun Any?.long() = (this as Number).toLong()

// ------------------------------------------------------------------ runner

var passed = 0
var failed = 0
var skipped = 0

fun case(id: String, body: () -> Unit) {
    try {
        body()
        passed++
        println("ok $id")
    } catch (e: Throwable) {
        failed++
        println("FAIL $id: $e")
    }
}

fun expect(cond: Boolean, what: () -> String) {
    if (!cond) throw AssertionError(what())
}

fun <T> eq(actual: T, expected: T, what: String) =
    expect(actual == expected) { "$what: expected <$expected>, got <$actual>" }

inline fun <reified E : Throwable> throws(body: () -> Unit): E {
    try {
        body()
    } catch (e: Throwable) {
        if (e is E) return e
        throw AssertionError("expected ${E::class.simpleName}, got $e")
    }
    throw AssertionError("expected ${E::class.simpleName}, nothing thrown")
}

fun at(seconds: Long): Instant = Instant.ofEpochSecond(seconds)

// ------------------------------------------------------------------ vector input -> request

fun credentialsOf(c: Map<String, Any?>) = Credentials(
    accessKeyId = c["access_key_id"].str(),
    secretAccessKey = c["secret_access_key"].str(),
    sessionToken = c["session_token"] as String?,
    expiresAt = (c["expires_at"] as Number?)?.let { at(it.toLong()) },
)

fun targetOf(kind: String, input: Map<String, Any?>): TokenTarget = when (kind) {
    "rds" -> TokenTarget.Rds(input["hostname"].str(), input["port"].long().toUShort(), input["username"].str())
    "dsql" -> TokenTarget.Dsql(input["hostname"].str(), input["admin"] as Boolean)
    "elasticache" -> TokenTarget.Elasticache(input["cache_name"].str(), input["user_id"].str(), input["serverless"] as Boolean)
    "memorydb" -> TokenTarget.Memorydb(input["cluster_name"].str(), input["user"].str())
    else -> error("unknown kind $kind")
}

fun requestOf(kind: String, input: Map<String, Any?>) = TokenRequest(
    target = targetOf(kind, input),
    credentials = credentialsOf(input["credentials"].obj()),
    region = input["region"] as String?,
    expiresIn = input["expires_in"].long().toUInt(),
)

val kinds = mapOf(
    "rds" to TokenKind.RDS,
    "dsql" to TokenKind.DSQL,
    "elasticache" to TokenKind.ELASTICACHE,
    "memorydb" to TokenKind.MEMORYDB,
)

// ------------------------------------------------------------------ main

fun main(args: Array<String>) {
    val dir = File(args.getOrElse(0) { "tests/vectors" })
    val tokens = Json(File(dir, "tokens.json").readText()).parse().obj()["cases"].list()
    val errors = Json(File(dir, "errors.json").readText()).parse().obj()["cases"].list()

    // Every token vector: the exact text and expiry, then inspect and verify on it.
    for (raw in tokens) {
        val c = raw.obj()
        val id = c["id"].str()
        case(id) {
            val kind = c["kind"].str()
            val input = c["input"].obj()
            val expected = c["expected"].obj()
            val signingTime = input["signing_time"].long()
            val t = generateToken(requestOf(kind, input), at(signingTime))
            eq(t.text(), expected["token"].str(), "token")
            eq(t.expiresAt(), at(expected["expires_at"].long()), "expiresAt")
            eq(t.signingTime(), at(signingTime), "signingTime")
            eq(t.kind(), kinds.getValue(kind), "kind")
            eq(t.expiresIn().toLong(), expected["expires_at"].long() - signingTime, "expiresIn")
            expect(!t.toString().contains(expected["signature"].str())) { "AuthToken.toString() shows the token" }

            val info = inspect(t.text())
            eq(info.kind, kinds.getValue(kind), "inspect kind")
            eq(info.signature, expected["signature"].str(), "inspect signature")
            eq(info.signingTime, at(signingTime), "inspect signingTime")
            eq(info.expiresAt, at(expected["expires_at"].long()), "inspect expiresAt")
            eq(info.region, t.region(), "inspect region")
            val session = input["credentials"].obj()["session_token"] as String?
            eq(info.hasSessionToken, !session.isNullOrEmpty(), "inspect hasSessionToken")
            eq(info.accessKeyId, input["credentials"].obj()["access_key_id"].str(), "inspect accessKeyId")

            val secret = input["credentials"].obj()["secret_access_key"].str()
            eq(verify(t.text(), secret, at(signingTime)).signature, expected["signature"].str(), "verify")
        }
    }

    // Every error vector: the exception, its code and its text.
    val codesSeen = mutableSetOf<String>()
    val allCodes = errorCodes()
    for (raw in errors) {
        val c = raw.obj()
        val id = c["id"].str()
        val code = c["code"].str()
        if (c.containsKey("buffer_len")) {
            skipped++
            println("skip $id: buffer_len cases need a caller-supplied buffer (Rust only)")
            continue
        }
        case(id) {
            val e = throws<TokenException> {
                when (val op = c["op"].str()) {
                    "token" -> {
                        val input = c["input"].obj()
                        generateToken(requestOf(c["kind"].str(), input), at(input["signing_time"].long()))
                    }
                    "inspect" -> inspect(c["token"].str())
                    "verify" -> verify(c["token"].str(), c["secret_access_key"].str(), at(c["now"].long()))
                    else -> error("unknown op $op")
                }
            }
            eq(e.code(), code, "code")
            expect(e.code() in allCodes) { "code ${e.code()} not in errorCodes()" }
            expect(e.toString().startsWith("$code: ")) { "toString: $e" }
            expect(e.message().isNotEmpty()) { "empty message()" }
            // The subclass is the code in UpperCamelCase: TokenException.RegionMismatch <-> region_mismatch.
            val camel = code.split('_').joinToString("") { it.replaceFirstChar(Char::uppercase) }
            eq(e::class.simpleName, camel, "exception class")
            codesSeen += code
        }
    }

    // Every core code is either thrown above or not reachable through this API.
    val unreachable = mapOf(
        "buffer_too_small" to "the bindings size the buffer themselves",
        "invalid_request" to "generic presign is not exposed",
        "credentials_unavailable" to "comes from a failing credentials source, not from an input",
    )
    case("error-codes-complete") {
        val codesInFile = errors.map { it.obj()["code"].str() }.toSet()
        expect(allCodes.toSet().containsAll(codesInFile)) { "errors.json codes missing from errorCodes(): ${codesInFile - allCodes.toSet()}" }
        val missing = allCodes.filter { it !in codesSeen && it !in unreachable }
        expect(missing.isEmpty()) { "codes never thrown: $missing" }
        eq(allCodes.size, allCodes.toSet().size, "distinct codes")
    }

    // Secrets never appear in toString().
    case("credentials-tostring-redacted") {
        val creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "FwoGZXIvYXdzEXAMPLESESSIONTOKEN", at(2_000_000_000))
        val req = TokenRequest(TokenTarget.Rds("db.example.com", 5432u, "jane"), creds, "us-east-1")
        for ((what, text) in listOf("Credentials" to creds.toString(), "TokenRequest" to req.toString())) {
            expect(text.contains("AKIDEXAMPLE")) { "$what.toString() lacks the access key id: $text" }
            expect(!text.contains("wJalrXUtnFEMI")) { "$what.toString() shows the secret: $text" }
            expect(!text.contains("FwoGZXIvYXdz")) { "$what.toString() shows the session token: $text" }
        }
        eq(creds.accessKeyId(), "AKIDEXAMPLE", "accessKeyId")
        eq(creds.hasSessionToken(), true, "hasSessionToken")
        eq(creds.expiresAt(), at(2_000_000_000), "expiresAt")
        eq(Credentials("A", "B", "").hasSessionToken(), false, "empty session token")
        val t = generateToken(req, at(1_705_322_096))
        expect(t.text().contains("FwoGZXIvYXdz")) { "the token text must carry the session token" }
        expect(!t.toString().contains("FwoGZXIvYXdz") && !t.toString().contains("X-Amz-Signature")) { "AuthToken.toString(): $t" }
        val cache = TokenCache()
        cache.get(req, at(1_705_322_096))
        expect(!cache.toString().contains("FwoGZXIvYXdz") && !cache.toString().contains("wJalrXUtnFEMI")) { "TokenCache.toString(): $cache" }
    }

    // The cache: same token until the refresh margin, then a new one; keyed by the request.
    case("cache-refresh-margin") {
        val basic = tokens.map { it.obj() }.first { it["id"] == "rds-basic" }
        val input = basic["input"].obj()
        val req = requestOf("rds", input)
        val t0 = input["signing_time"].long()
        val cache = TokenCache(refreshMarginSeconds = 30uL)
        eq(cache.refreshMarginSeconds(), 30uL, "refreshMarginSeconds")
        eq(TokenCache().refreshMarginSeconds(), 30uL, "default refresh margin")
        val first = cache.get(req, at(t0))
        eq(first.text(), basic["expected"].obj()["token"].str(), "cached token = vector")
        eq(cache.get(req, at(t0 + 869)).text(), first.text(), "reused before the margin")
        val renewed = cache.get(req, at(t0 + 870))
        eq(renewed.signingTime(), at(t0 + 870), "renewed at the margin")
        expect(renewed.text() != first.text()) { "not renewed" }
        val other = req.copy(target = TokenTarget.Rds(input["hostname"].str(), 5432u, "someone_else"))
        expect(cache.get(other, at(t0 + 871)).text().contains("DBUser=someone_else")) { "other request got the cached token" }
        cache.clear()
        eq(cache.get(req, at(t0 + 872)).signingTime(), at(t0 + 872), "after clear()")
    }

    case("cache-credentials-expiry") {
        val creds = Credentials("AKIDEXAMPLE", "secret", null, at(1_100))
        val req = TokenRequest(TokenTarget.Rds("db.example.com", 5432u, "u"), creds, "us-east-1")
        val cache = TokenCache(30uL)
        eq(cache.get(req, at(1_000)).expiresAt(), at(1_100), "clamped to the credentials")
        eq(throws<TokenException> { cache.get(req, at(1_100)) }.code(), "credentials_expired", "expired credentials")
        expect(throws<TokenException> { cache.get(req, at(1_100)) } is TokenException.CredentialsExpired) { "subclass" }
    }

    // Clock conveniences sign at the current time.
    case("system-clock") {
        val req = TokenRequest(TokenTarget.Dsql("abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws", true), Credentials("AKIDEXAMPLE", "secret"))
        val before = Instant.now().epochSecond
        val t = generateTokenNow(req)
        val c = TokenCache().getNow(req)
        val after = Instant.now().epochSecond
        for (x in listOf(t, c)) {
            val s = x.signingTime().epochSecond
            expect(s in before..after) { "signing time $s not in [$before, $after]" }
            eq(x.expiresIn(), 900u, "default expiresIn")
            eq(x.region(), "us-east-1", "region read from the host")
        }
        val info = verifyNow(t.text(), "secret")
        eq(info.action, "DbConnectAdmin", "action")
        eq(info.port, null, "port")
        eq(info.hostRegionMatches, true, "hostRegionMatches")
        eq(throws<TokenException> { verifyNow(t.text(), "wrong") }.code(), "signature_mismatch", "wrong secret")
    }

    case("inspect-fields") {
        val c = tokens.map { it.obj() }.first { it["kind"] == "elasticache" && it["input"].obj()["serverless"] == true }
        val info = inspect(c["expected"].obj()["token"].str())
        eq(info.kind, TokenKind.ELASTICACHE, "kind")
        eq(info.serverless, true, "serverless")
        eq(info.service, "elasticache", "service")
        eq(info.user, c["input"].obj()["user_id"].str(), "user (decoded)")
        eq(info.missingPort, false, "missingPort")
    }

    // urlEncode against the JDK's encoder (form encoding adjusted to RFC 3986).
    case("url-encode") {
        val token = tokens.map { it.obj() }.first { it["id"] == "rds-basic" }["expected"].obj()["token"].str()
        for (s in listOf(token, "a b+c/d=e&f%g~h*i", "jöhn 用户 🙂", "")) {
            val jdk = URLEncoder.encode(s, Charsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~")
            eq(urlEncode(s), jdk, "urlEncode")
        }
    }

    case("signing-time-before-1970") {
        val req = TokenRequest(TokenTarget.Memorydb("my-cluster", "u"), Credentials("AKIDEXAMPLE", "secret"), "us-east-1")
        eq(throws<TokenException> { generateToken(req, at(-1)) }.code(), "invalid_signing_time", "pre-epoch")
    }

    println("$skipped skipped")
    println("$passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
