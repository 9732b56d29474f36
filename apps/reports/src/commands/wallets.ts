import { checkWalletIntegrity, findWallet } from '@org/billing-ledger';
import { CliError, ExitCode } from '../exit-codes.ts';
import { colour, table } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';

export const walletsCommand: CommandModule = {
  register(program, action) {
    const wallets = program.command('wallets').description('prepaid credit wallets');
    wallets
      .command('show')
      .description('balance, debt limit, recharge settings and recent journal of one wallet')
      .argument('<owner>', 'customer or organisation id')
      .option('--currency <code>', 'wallet currency', 'usd')
      .addOption(jsonOption())
      .action(
        action(async (ctx, owner: string, flags: { currency: string }) => {
          const db = await ctx.database();
          const wallet = await findWallet(db.pool, owner, flags.currency);
          if (!wallet) throw new CliError(`No ${flags.currency} wallet for ${owner}.`, ExitCode.dataError);
          const { rows } = await db.pool.query<{
            id: string;
            kind: string;
            amount: string;
            balance_after: string;
            reason: string | null;
            created_at: Date;
          }>(
            'select id, kind, amount, balance_after, reason, created_at from public.wallet_transactions where wallet_id = $1 order by id desc limit 10',
            [wallet.id],
          );
          const recent = rows.map((r) => ({
            id: Number(r.id),
            kind: r.kind,
            amount: Number(r.amount),
            balanceAfter: Number(r.balance_after),
            reason: r.reason,
            at: r.created_at.toISOString(),
          }));
          ctx.out.result({ ...wallet, debtCapacity: wallet.balance + wallet.debtLimit, recent }, () =>
            [
              `${colour.bold('Wallet')} ${wallet.ownerId} ${wallet.currency} (${wallet.id})`,
              `  balance ${wallet.balance}, debt limit ${wallet.debtLimit}, capacity ${wallet.balance + wallet.debtLimit}`,
              `  auto-recharge ${wallet.rechargeThreshold === null ? 'off' : `${wallet.rechargeAmount} below ${wallet.rechargeThreshold} (cycle ${wallet.rechargeCycle})`}`,
              recent.length
                ? `\n${table(
                    recent.map((t) => [t.id, t.kind, t.amount, t.balanceAfter, t.reason ?? '', t.at]),
                    ['id', 'kind', 'amount', 'balance', 'reason', 'at'],
                  )}`
                : '',
            ].join('\n'),
          );
        }),
      );
    wallets
      .command('check')
      .description(
        'verify every wallet: balance equals its journal and every transaction nets to zero (exit 2 when not)',
      )
      .addOption(jsonOption())
      .action(
        action(async (ctx) => {
          const db = await ctx.database();
          const { rows } = await db.pool.query<{ id: string; owner_id: string; currency: string }>(
            'select id, owner_id, currency from public.wallets order by owner_id, currency',
          );
          const problems: {
            walletId: string;
            ownerId: string;
            currency: string;
            balance: number;
            journalBalance: number;
            unbalancedTransactions: number;
          }[] = [];
          for (const w of rows) {
            const r = await checkWalletIntegrity(db.pool, w.id);
            if (r.ok && (r.value.balance !== r.value.journalBalance || r.value.unbalancedTransactions > 0)) {
              problems.push({ walletId: w.id, ownerId: w.owner_id, currency: w.currency, ...r.value });
            }
          }
          ctx.out.result({ wallets: rows.length, problems }, () =>
            problems.length === 0
              ? `${colour.green('PASS')} ${rows.length} wallets: balances equal their journals, every transaction nets to zero.`
              : `${colour.red('FAIL')} ${problems.length} of ${rows.length} wallets disagree with their journal:\n${table(
                  problems.map((p) => [
                    p.ownerId,
                    p.currency,
                    p.balance,
                    p.journalBalance,
                    p.unbalancedTransactions,
                  ]),
                  ['owner', 'currency', 'balance', 'journal', 'unbalanced'],
                )}`,
          );
          return problems.length === 0 ? ExitCode.ok : ExitCode.fail;
        }),
      );
  },
};
