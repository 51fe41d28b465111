using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.TdsServer
{
    /// <summary>One client connection: reads messages, runs requests one at a time, and keeps reading while a
    /// request runs so that an attention can stop it.</summary>
    internal sealed class TdsConnection : IDisposable
    {
        private readonly SimSqlServer _server;
        private readonly TcpClient _client;
        private readonly NetworkStream _network;
        private readonly Socket _socket;
        private readonly SemaphoreSlim _writeLock = new SemaphoreSlim(1, 1);
        /// <summary>What packets are read from and written to: the connection itself, or TLS over it.</summary>
        private Stream _stream;
        private SslStream? _tls;
        /// <summary>Login-only encryption: the next packet read comes over TLS, everything after it in the clear.</summary>
        private bool _plainAfterNextPacket;
        private byte _packetId = 1;
        /// <summary>The client's PRELOGIN asked for federated authentication and the reply confirmed it.</summary>
        private bool _fedAuthRequired;

        public TdsConnection(SimSqlServer server, TcpClient client, int id)
        {
            _server = server;
            _client = client;
            _client.NoDelay = true;
            _network = client.GetStream();
            _stream = _network;
            _socket = client.Client;
            Id = id;
            Session = new RecordedSession(id);
        }

        public int Id { get; }
        public string Login { get; private set; } = string.Empty;
        public string Database { get; set; } = "master";
        public bool LoggedIn { get; private set; }
        public int PacketSize { get; private set; } = 4096;
        /// <summary>What the server records of this connection's transport.</summary>
        public RecordedSession Session { get; }

        public async Task RunAsync(CancellationToken stop)
        {
            Task? running = null;
            CancellationTokenSource? runningCancel = null;
            try
            {
                if (await StartsWithTlsAsync(stop).ConfigureAwait(false) && !await HandshakeAsync(null, SessionEncryption.Strict, stop).ConfigureAwait(false)) return;
                while (true)
                {
                    var message = await ReadMessageAsync(stop).ConfigureAwait(false);
                    if (message == null) break;
                    var (type, body) = message.Value;
                    if (type == TdsProtocol.PacketAttention)
                    {
                        runningCancel?.Cancel();
                        if (running != null) await running.ConfigureAwait(false);
                        running = null;
                        var w = new TdsTokenWriter();
                        w.Done(TdsProtocol.TokenDone, TdsProtocol.DoneAttention, 0);
                        await SendAsync(w.TakeBytes(), true).ConfigureAwait(false);
                        continue;
                    }
                    if (running != null) await running.ConfigureAwait(false);
                    runningCancel?.Dispose();
                    runningCancel = new CancellationTokenSource();
                    var token = runningCancel.Token;
                    switch (type)
                    {
                        case TdsProtocol.PacketPrelogin:
                            if (!await PreloginAsync(body, stop).ConfigureAwait(false)) return;
                            running = null;
                            break;
                        case TdsProtocol.PacketLogin7:
                            if (!await LoginAsync(body).ConfigureAwait(false)) return;
                            running = null;
                            break;
                        case TdsProtocol.PacketSqlBatch:
                        case TdsProtocol.PacketRpc:
                            if (!LoggedIn) return;
                            running = Task.Run(() => ExecuteAsync(type, body, token));
                            break;
                        default:
                            return; // a message type this server does not speak: drop the connection as SQL Server does
                    }
                }
            }
            catch (IOException)
            {
                // the client went away or the session was killed
            }
            catch (ObjectDisposedException)
            {
                // killed
            }
            catch (InvalidDataException)
            {
                // a PRELOGIN or LOGIN7 whose fields point outside the message: SQL Server drops such a connection
            }
            catch (SocketException)
            {
                // reset by the client
            }
            finally
            {
                runningCancel?.Cancel();
                if (running != null)
                {
                    try { await running.ConfigureAwait(false); }
                    catch (Exception) { /* the connection is gone; nothing to report to */ }
                }
                runningCancel?.Dispose();
            }
        }

        private async Task<(byte Type, byte[] Body)?> ReadMessageAsync(CancellationToken stop)
        {
            var header = new byte[TdsProtocol.HeaderLength];
            using var body = new MemoryStream();
            byte type;
            while (true)
            {
                try
                {
                    await _stream.ReadExactlyAsync(header, 0, header.Length, stop).ConfigureAwait(false);
                }
                catch (EndOfStreamException)
                {
                    return null;
                }
                type = header[0];
                var payload = new byte[TdsProtocol.PayloadLength(header)];
                await _stream.ReadExactlyAsync(payload, 0, payload.Length, stop).ConfigureAwait(false);
                body.Write(payload, 0, payload.Length);
                if (_plainAfterNextPacket)
                {
                    // The client encrypted the first packet of LOGIN7 only, and dropped TLS right after it.
                    _plainAfterNextPacket = false;
                    _stream = _network;
                }
                if ((header[1] & TdsProtocol.StatusEndOfMessage) != 0) break;
            }
            return (type, body.ToArray());
        }

        /// <summary>Sends token bytes as reply packets of the negotiated size; only the last packet of a
        /// final send carries END OF MESSAGE, so a reply can go out in pieces while a statement runs.</summary>
        public async Task SendAsync(byte[] data, bool final)
        {
            if (data.Length == 0 && !final) return;
            await _writeLock.WaitAsync().ConfigureAwait(false);
            try
            {
                var max = PacketSize - TdsProtocol.HeaderLength;
                var offset = 0;
                do
                {
                    var chunk = Math.Min(max, data.Length - offset);
                    var last = final && offset + chunk == data.Length;
                    var packet = TdsProtocol.Packet(TdsProtocol.PacketReply, last, Id, _packetId++, data.AsSpan(offset, chunk));
                    await _stream.WriteAsync(packet, 0, packet.Length).ConfigureAwait(false);
                    offset += chunk;
                }
                while (offset < data.Length);
                await _stream.FlushAsync().ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }

        /// <summary>True when the client's first byte opens a TLS handshake (TDS 8.0) rather than a PRELOGIN packet.</summary>
        private async Task<bool> StartsWithTlsAsync(CancellationToken stop)
        {
            var first = new byte[1];
            var got = await _socket.ReceiveAsync(first, SocketFlags.Peek, stop).ConfigureAwait(false);
            return got == 1 && first[0] == TdsProtocol.TlsHandshakeRecord;
        }

        /// <summary>Answers PRELOGIN. In TDS 7.x the ENCRYPTION option decides whether a TLS handshake, carried in
        /// PRELOGIN packets, follows the answer; inside a TDS 8.0 session TLS is already there. False ends the connection.</summary>
        private async Task<bool> PreloginAsync(byte[] body, CancellationToken stop)
        {
            var options = ReadPreloginOptions(body);
            _fedAuthRequired = options.TryGetValue(TdsProtocol.PreloginFedAuthRequired, out var fedAuth) && fedAuth.Length >= 1 && fedAuth[0] == 0x01;
            if (Session.Encryption == SessionEncryption.Strict)
            {
                // TDS 8.0: the option means nothing any more; say the session is encrypted, which it is.
                await SendAsync(PreloginResponse(TdsProtocol.EncryptOn, _fedAuthRequired), true).ConfigureAwait(false);
                return true;
            }
            if (!options.TryGetValue(TdsProtocol.PreloginEncryption, out var encryption) || encryption.Length < 1 || encryption[0] > TdsProtocol.EncryptRequired)
                return false;
            var (answer, outcome) = EncryptionNegotiation.Negotiate(encryption[0], _server.EffectiveEncryption, out var drop);
            await SendAsync(PreloginResponse(answer, _fedAuthRequired), true).ConfigureAwait(false);
            if (drop) return false;
            if (outcome == SessionEncryption.None) return true;
            var wrapper = new TlsOverTdsStream(_network);
            return await HandshakeAsync(wrapper, outcome, stop).ConfigureAwait(false);
        }

        /// <summary>Runs the server side of the TLS handshake, over PRELOGIN packets (<paramref name="wrapper"/>) or
        /// straight on the connection (TDS 8.0). False, with the reason kept, when it fails.</summary>
        private async Task<bool> HandshakeAsync(TlsOverTdsStream? wrapper, SessionEncryption outcome, CancellationToken stop)
        {
            var certificate = _server.Certificate;
            if (certificate == null || _server.EffectiveEncryption == SimEncryption.Unsupported)
            {
                Session.TlsFailure = "The server has no TLS.";
                return false;
            }
            var tls = new SslStream((Stream?)wrapper ?? _network, leaveInnerStreamOpen: true);
            var options = new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                EnabledSslProtocols = outcome == SessionEncryption.Strict ? _server.TlsProtocols : Tds7Protocols(_server.TlsProtocols),
                ClientCertificateRequired = false,
                CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                AllowTlsResume = false,
            };
            if (outcome == SessionEncryption.Strict) options.ApplicationProtocols = new List<SslApplicationProtocol> { new SslApplicationProtocol(TdsProtocol.Tds8Alpn) };
            try
            {
                await tls.AuthenticateAsServerAsync(options, stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AuthenticationException || e is IOException)
            {
                Session.TlsFailure = e.Message;
                tls.Dispose();
                return false;
            }
            wrapper?.EndHandshake();
            _tls = tls;
            _stream = tls;
            Session.TlsProtocol = tls.SslProtocol;
            Session.Encryption = outcome;
            _plainAfterNextPacket = outcome == SessionEncryption.LoginOnly;
            return true;
        }

        /// <summary>
        /// TLS inside TDS 7.x stops at 1.2, as SQL Server does: a TLS 1.3 server sends its session tickets after the
        /// handshake, still inside PRELOGIN packets from its side, when SqlClient already expects bare TLS records,
        /// and the session breaks at the first reply. Only a server told to speak nothing but TLS 1.3 offers it here.
        /// </summary>
        private static SslProtocols Tds7Protocols(SslProtocols configured)
        {
            if (configured == SslProtocols.None) return SslProtocols.Tls12;
            var below13 = configured & ~SslProtocols.Tls13;
            return below13 == SslProtocols.None ? configured : below13;
        }

        /// <summary>PRELOGIN's options by token: a list of (token, big-endian offset, big-endian length) ending with 0xFF.</summary>
        private static Dictionary<byte, byte[]> ReadPreloginOptions(byte[] body)
        {
            var options = new Dictionary<byte, byte[]>();
            var at = 0;
            while (at + 5 <= body.Length && body[at] != TdsProtocol.PreloginTerminator)
            {
                var offset = (body[at + 1] << 8) | body[at + 2];
                var length = (body[at + 3] << 8) | body[at + 4];
                if (offset + length > body.Length) throw new InvalidDataException("A PRELOGIN option points outside the message.");
                options[body[at]] = body.AsSpan(offset, length).ToArray();
                at += 5;
            }
            return options;
        }

        private static byte[] PreloginResponse(byte encryption, bool fedAuthRequired)
        {
            // VERSION (6 bytes), ENCRYPTION, INSTOPT (1: instance ok), MARS (1: off), and FEDAUTHREQUIRED (1)
            // echoed when the client asked for federated authentication.
            var options = new List<(byte Token, byte[] Value)>
            {
                (TdsProtocol.PreloginVersion, new byte[] { 15, 0, 0x07, 0xD0, 0, 0 }),
                (TdsProtocol.PreloginEncryption, new[] { encryption }),
                (TdsProtocol.PreloginInstance, new byte[] { 0x00 }),
                (TdsProtocol.PreloginMars, new byte[] { 0x00 }),
            };
            if (fedAuthRequired) options.Add((TdsProtocol.PreloginFedAuthRequired, new byte[] { 0x01 }));
            var headerLength = options.Count * 5 + 1;
            using var ms = new MemoryStream();
            var offset = headerLength;
            foreach (var (token, value) in options)
            {
                ms.WriteByte(token);
                ms.WriteByte((byte)(offset >> 8));
                ms.WriteByte((byte)(offset & 0xFF));
                ms.WriteByte(0);
                ms.WriteByte((byte)value.Length);
                offset += value.Length;
            }
            ms.WriteByte(TdsProtocol.PreloginTerminator);
            foreach (var (_, value) in options) ms.Write(value, 0, value.Length);
            return ms.ToArray();
        }

        /// <summary>The FEDAUTH feature of a LOGIN7 message: the options byte and, for the security-token library,
        /// the token. Null when the login carries no such feature.</summary>
        private sealed class FedAuthFeature
        {
            public byte Library { get; set; }
            public bool Echo { get; set; }
            public string? Token { get; set; }
        }

        /// <summary>Walks LOGIN7's feature extension block (ibExtension points at a DWORD holding its offset):
        /// FeatureId, DWORD length, data, ending with 0xFF.</summary>
        private static FedAuthFeature? ReadFedAuth(TdsReader r)
        {
            r.Position = 27;
            if ((r.ReadByte() & TdsProtocol.OptionFlags3Extension) == 0) return null;
            r.Position = 56;
            var pointer = r.ReadUInt16();
            var pointerLength = r.ReadUInt16();
            if (pointerLength < 4) return null;
            r.Position = pointer;
            r.Position = r.ReadInt32();
            while (r.Remaining > 0)
            {
                var id = r.ReadByte();
                if (id == TdsProtocol.FeatureTerminator) break;
                var length = r.ReadInt32();
                var end = r.Position + length;
                if (id == TdsProtocol.FeatureFedAuth)
                {
                    var options = r.ReadByte();
                    var feature = new FedAuthFeature { Library = (byte)(options >> 1), Echo = (options & 0x01) != 0 };
                    if (feature.Library == TdsProtocol.FedAuthLibrarySecurityToken)
                    {
                        var tokenBytes = r.ReadInt32();
                        feature.Token = Encoding.Unicode.GetString(r.ReadBytes(tokenBytes));
                    }
                    return feature;
                }
                r.Position = end;
            }
            return null;
        }

        /// <summary>Decodes LOGIN7, authenticates (SQL login or federated-authentication token), checks the requested
        /// database, and answers. A token is only compared, never written to a reply or a record.</summary>
        private async Task<bool> LoginAsync(byte[] body)
        {
            _server.CountLogin();
            var r = new TdsReader(body);
            r.Position = 8;
            var packetSize = r.ReadInt32();
            string Field(int at, bool password = false)
            {
                r.Position = at;
                var offset = r.ReadUInt16();
                var chars = r.ReadUInt16();
                if (chars == 0) return string.Empty;
                var bytes = new byte[chars * 2];
                Buffer.BlockCopy(body, offset, bytes, 0, bytes.Length);
                if (password)
                {
                    for (var i = 0; i < bytes.Length; i++)
                    {
                        var b = (byte)(bytes[i] ^ 0xA5);
                        bytes[i] = (byte)((b << 4) | (b >> 4));
                    }
                }
                return Encoding.Unicode.GetString(bytes);
            }
            var user = Field(40);
            var password = Field(44, true);
            var database = Field(68);
            r.Position = 80;
            var sspiLength = r.ReadUInt16();
            var fedAuth = ReadFedAuth(r);

            var w = new TdsTokenWriter();
            var method = fedAuth != null ? SimAuthentication.AccessToken : sspiLength > 0 ? SimAuthentication.Integrated : SimAuthentication.SqlLogin;
            Login = user;
            async Task<bool> Refuse(SqlMessage error, AccessTokenRefusal refusal = AccessTokenRefusal.None)
            {
                _server.RecordLogin(new RecordedLogin(Id, Login, method, database, error.Number, refusal));
                await FailLoginAsync(w, error).ConfigureAwait(false);
                return false;
            }
            if (method == SimAuthentication.Integrated)
                return await Refuse(new SqlMessage(18452, 14, 1, "Login failed. The login is from an untrusted domain and cannot be used with Integrated authentication.")).ConfigureAwait(false);
            if (fedAuth != null)
            {
                // The name SQL Server prints for a login whose identity comes from a token it could not map.
                const string TokenPrincipal = "<token-identified principal>";
                Login = string.Empty;
                var tokenFailure = new SqlMessage(18456, 14, 1, "Login failed for user '" + TokenPrincipal + "'.");
                // A FEDAUTH feature must agree with PRELOGIN (fFedAuthEcho), carry a token, and come without a SQL login.
                if (fedAuth.Library != TdsProtocol.FedAuthLibrarySecurityToken || fedAuth.Token == null || fedAuth.Echo != _fedAuthRequired || user.Length > 0 || password.Length > 0)
                    return await Refuse(tokenFailure, AccessTokenRefusal.Unknown).ConfigureAwait(false);
                var principal = _server.CheckAccessToken(fedAuth.Token, out var refusal);
                if (principal == null) return await Refuse(tokenFailure, refusal).ConfigureAwait(false);
                Login = principal;
            }
            else if (!_server.CheckLogin(user, password))
            {
                return await Refuse(new SqlMessage(18456, 14, 1, "Login failed for user '" + user + "'.")).ConfigureAwait(false);
            }
            if (string.IsNullOrEmpty(database)) database = "master";
            if (!string.Equals(database, "master", StringComparison.OrdinalIgnoreCase))
            {
                var refusal = _server.Interpreter.CheckCanOpen(database, Id);
                if (refusal != null)
                {
                    w.Message(refusal, _server.ServerName);
                    return await Refuse(new SqlMessage(18456, 14, 1, "Login failed for user '" + (fedAuth != null ? "<token-identified principal>" : user) + "'.")).ConfigureAwait(false);
                }
                database = _server.Catalog.FindDatabase(database)!.Name;
            }

            Database = database;
            LoggedIn = true;
            _server.RecordLogin(new RecordedLogin(Id, Login, method, database, null, AccessTokenRefusal.None));
            w.EnvChange(TdsProtocol.EnvDatabase, database, "master");
            w.Message(new SqlMessage(5701, 0, 2, "Changed database context to '" + database + "'."), _server.ServerName);
            w.EnvChangeCollation(TdsProtocol.DefaultCollation);
            w.EnvChange(TdsProtocol.EnvLanguage, "us_english", string.Empty);
            w.Message(new SqlMessage(5703, 0, 1, "Changed language setting to us_english."), _server.ServerName);
            w.LoginAck("Microsoft SQL Server", 15, 0, 2000);
            // A security-token login is acknowledged with an empty FEDAUTH entry (no nonce was offered).
            if (fedAuth != null) w.FeatureExtAck(TdsProtocol.FeatureFedAuth, Array.Empty<byte>());
            var size = packetSize >= 512 && packetSize <= 32767 ? packetSize : 4096;
            w.EnvChange(TdsProtocol.EnvPacketSize, size.ToString(CultureInfo.InvariantCulture), PacketSize.ToString(CultureInfo.InvariantCulture));
            w.Done(TdsProtocol.TokenDone, TdsProtocol.DoneFinal, 0);
            await SendAsync(w.TakeBytes(), true).ConfigureAwait(false);
            PacketSize = size;
            return true;
        }

        private async Task FailLoginAsync(TdsTokenWriter w, SqlMessage error)
        {
            w.Message(error, _server.ServerName);
            w.Done(TdsProtocol.TokenDone, TdsProtocol.DoneError, 0);
            await SendAsync(w.TakeBytes(), true).ConfigureAwait(false);
        }

        private async Task ExecuteAsync(byte type, byte[] body, CancellationToken cancel)
        {
            var r = new TdsReader(body);
            var headersLength = r.ReadInt32(); // ALL_HEADERS, counted from its own first byte
            r.Position = headersLength;
            var reply = new Reply(this, type == TdsProtocol.PacketRpc, cancel) { ServerName = _server.ServerName };
            try
            {
                if (type == TdsProtocol.PacketSqlBatch)
                {
                    var text = r.ReadUnicode(r.Remaining / 2);
                    await _server.Interpreter.ExecuteBatchAsync(this, reply, text, Array.Empty<RpcParameter>()).ConfigureAwait(false);
                }
                else
                {
                    var rpc = RpcRequest.Parse(r);
                    if (!string.Equals(rpc.Procedure, "sp_executesql", StringComparison.OrdinalIgnoreCase) || rpc.Parameters.Count == 0 || !(rpc.Parameters[0].Value is string statement))
                    {
                        _server.Finish(_server.Record(this, "EXEC " + rpc.Procedure, rpc.Parameters), StatementOutcome.Failed, 2812);
                        reply.Message(new SqlMessage(2812, 16, 62, "Could not find stored procedure '" + rpc.Procedure + "'."));
                        reply.EndStatement(null, true, true);
                        await reply.FinishAsync().ConfigureAwait(false);
                        return;
                    }
                    var named = new List<RpcParameter>();
                    for (var i = 2; i < rpc.Parameters.Count; i++) named.Add(rpc.Parameters[i]);
                    await _server.Interpreter.ExecuteBatchAsync(this, reply, statement, named).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                // attention: the reader answers with DONE (ATTN); whatever was not sent yet is dropped
            }
            catch (InvalidDataException)
            {
                var broken = new Reply(this, false, CancellationToken.None) { ServerName = _server.ServerName };
                broken.Message(new SqlMessage(8009, 16, 1, "The incoming tabular data stream (TDS) remote procedure call (RPC) protocol stream is incorrect."));
                broken.EndStatement(null, true, true);
                await broken.FinishAsync().ConfigureAwait(false);
            }
        }

        public void Kill()
        {
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // already closed
            }
            catch (ObjectDisposedException)
            {
                // already closed
            }
            _socket.Close();
        }

        public void Dispose()
        {
            _tls?.Dispose();
            _client.Dispose();
            _writeLock.Dispose();
        }
    }
}
