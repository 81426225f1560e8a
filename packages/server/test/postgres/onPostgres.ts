// Setup of the `server-postgres` jest project: the server's own suites again, every server on a fresh
// PostgreSQL database (useServers reads this), so one behaviour holds on every store (CORE-1).
process.env['RXC_TEST_STORE'] = 'postgres';
