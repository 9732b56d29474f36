import { checkWalletIntegrity, findWallet, latestWalletTransactions, listWallets } from '@org/billing-ledger';
import { z } from 'zod';
import { CliError, ExitCode } from '../exit-codes.ts';
import { money } from '../figures.ts';
import { currencyFlag, parseFlags } from '../flags.ts';
import { colour, table } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';
import { checkWallet } from '../wallet-check.ts';

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
        action(async (ctx, owner: string, raw: { currency: string }) => {
          const { currency } = parseFlags(z.object({ currency: currencyFlag }), raw);
          const db = await ctx.database();
          const wallet = await findWallet(db.pool, owner, currency);
          if (!wallet) throw new CliError(`No ${currency} wallet for ${owner}.`, ExitCode.dataError);
          const recent = (await latestWalletTransactions(db.pool, wallet.id, { limit: 10 })).map((t) => ({
            id: t.id,
            kind: t.kind,
            amount: t.amount,
            balanceAfter: t.balanceAfter,
            reason: t.reason,
            at: t.createdAt.toISOString(),
          }));
          // --json keeps integer minor units; the text shows amounts in the wallet's currency.
          const m = (minor: number | null) => money(minor, wallet.currency);
          ctx.out.result({ ...wallet, debtCapacity: wallet.balance + wallet.debtLimit, recent }, () =>
            [
              `${colour.bold('Wallet')} ${wallet.ownerId} ${wallet.currency} (${wallet.id})`,
              `  balance ${m(wallet.balance)}, debt limit ${m(wallet.debtLimit)}, capacity ${m(wallet.balance + wallet.debtLimit)}`,
              `  auto-recharge ${wallet.rechargeThreshold === null ? 'off' : `${m(wallet.rechargeAmount)} below ${m(wallet.rechargeThreshold)} (cycle ${wallet.rechargeCycle})`}`,
              recent.length
                ? `\n${table(
                    recent.map((t) => [t.id, t.kind, m(t.amount), m(t.balanceAfter), t.reason ?? '', t.at]),
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
          const wallets = await listWallets(db.pool, { limit: Number.MAX_SAFE_INTEGER });
          const results = [];
          for (const w of wallets) results.push(checkWallet(w, await checkWalletIntegrity(db.pool, w.id)));
          const problems = results.filter((r) => r.problem !== null);
          const errors = problems.filter((r) => r.problem === 'error').length;
          ctx.out.result({ wallets: wallets.length, ok: problems.length === 0, problems }, () =>
            problems.length === 0
              ? `${colour.green('PASS')} ${wallets.length} wallets: balances equal their journals, every transaction nets to zero.`
              : `${colour.red('FAIL')} ${problems.length} of ${wallets.length} wallets ${errors ? `(${errors} could not be checked) ` : ''}disagree with their journal:\n${table(
                  problems.map((p) => [
                    p.ownerId,
                    p.currency,
                    p.balance ?? '-',
                    p.journalBalance ?? '-',
                    p.unbalancedTransactions ?? '-',
                    p.error ?? '',
                  ]),
                  ['owner', 'currency', 'balance', 'journal', 'unbalanced', 'error'],
                )}`,
          );
          return problems.length === 0 ? ExitCode.ok : ExitCode.fail;
        }),
      );
  },
};
