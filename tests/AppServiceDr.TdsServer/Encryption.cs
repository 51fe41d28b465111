namespace AppServiceDr.TdsServer
{
    /// <summary>What the server offers in PRELOGIN, as SQL Server's "Force Encryption" setting and certificate decide.</summary>
    public enum SimEncryption
    {
        /// <summary>Encryption is available: the client chooses the whole session (ENCRYPT_ON) or the login only
        /// (ENCRYPT_OFF). Needs <see cref="SimSqlServer.Certificate"/>; without one the server behaves as
        /// <see cref="Unsupported"/>.</summary>
        Optional,
        /// <summary>Every session is encrypted (the server answers ENCRYPT_REQ); a client that cannot encrypt is dropped.</summary>
        Required,
        /// <summary>No TLS at all: the server answers ENCRYPT_NOT_SUP and refuses a TDS 8.0 client's handshake.</summary>
        Unsupported,
    }

    /// <summary>How much of a session went over TLS.</summary>
    public enum SessionEncryption
    {
        /// <summary>No TLS (or none yet: the connection ended before PRELOGIN was answered).</summary>
        None,
        /// <summary>TDS 7.x with ENCRYPT_OFF on both sides: TLS carried the first LOGIN7 packet only.</summary>
        LoginOnly,
        /// <summary>TDS 7.x: the handshake in PRELOGIN packets, then every packet over TLS.</summary>
        Session,
        /// <summary>TDS 8.0 (strict): TLS from the first byte, PRELOGIN inside it.</summary>
        Strict,
    }

    /// <summary>The ENCRYPTION option of PRELOGIN as MS-TDS 2.2.6.5 settles it between client and server.</summary>
    internal static class EncryptionNegotiation
    {
        /// <summary>The byte the server answers with and what follows from it; <paramref name="dropAfterAnswer"/> when the
        /// client cannot encrypt but the server requires it (the server ends the connection after its answer).
        /// A client that asks for encryption the server does not have terminates on its own side.</summary>
        public static (byte Answer, SessionEncryption Outcome) Negotiate(byte client, SimEncryption server, out bool dropAfterAnswer)
        {
            dropAfterAnswer = false;
            var clientWants = client == TdsProtocol.EncryptOn || client == TdsProtocol.EncryptRequired;
            switch (server)
            {
                case SimEncryption.Unsupported:
                    return (TdsProtocol.EncryptNotSupported, SessionEncryption.None);
                case SimEncryption.Required:
                    dropAfterAnswer = client == TdsProtocol.EncryptNotSupported;
                    return (TdsProtocol.EncryptRequired, dropAfterAnswer ? SessionEncryption.None : SessionEncryption.Session);
                default:
                    if (client == TdsProtocol.EncryptNotSupported) return (TdsProtocol.EncryptNotSupported, SessionEncryption.None);
                    return clientWants
                        ? (TdsProtocol.EncryptOn, SessionEncryption.Session)
                        : (TdsProtocol.EncryptOff, SessionEncryption.LoginOnly);
            }
        }
    }
}
